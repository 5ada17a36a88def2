"""The xAPI connector's answers to an LRS's statuses (unit tests with httpx.MockTransport)."""

from __future__ import annotations

import inspect
import json
import sys
import uuid

import httpx
import pytest

from classbox.storage import open_database
from classbox.sync.clock import Dated
from classbox.sync.connectors.xapi import XapiConnector
from classbox.sync.link import Link
from classbox.sync.outbox import OutboxRecord
from classbox.sync.runner import SyncRunner
from classbox.sync.statements import StatementBuilder
from tests.sync.conftest import answer_payload, enqueue_answers, secret, synced_config


def records(count: int, bad: int | None = None) -> list[OutboxRecord]:
    out = []
    for n in range(count):
        sid = str(uuid.uuid4())
        payload = answer_payload(n, sid, response="REFUSE" if n == bad else None)
        out.append(OutboxRecord(n + 1, "xapi", "lrs", payload, sid, "p-1", 1, 0.0, 0.0, "b"))
    return out


def connector(handler) -> XapiConnector:
    def reading(request: httpx.Request) -> httpx.Response:
        request.read()  # the link streams bodies (for the rate cap)
        return handler(request)
    link = Link(transport=httpx.MockTransport(reading))
    builder = StatementBuilder("http://cb-1.classbox.invalid", "cb-1")
    return XapiConnector(link, "http://lrs.test/xAPI", "u", "p", builder,
                         lambda r: Dated(1_800_000_000.0, True), use_gzip=False)


def test_a_400_batch_is_bisected_so_only_the_bad_statement_dies():
    posted: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        batch = json.loads(request.content)
        if any(s["result"]["response"] == "REFUSE" for s in batch):
            return httpx.Response(400, json={"detail": "invalid statement"})
        posted.append([s["id"] for s in batch])
        return httpx.Response(200, json=[s["id"] for s in batch])
    batch = records(8, bad=5)
    outcomes = connector(handler).deliver(batch)
    assert [o.status for o in outcomes] == ["delivered"] * 5 + ["dead"] + ["delivered"] * 2
    assert "HTTP 400" in outcomes[5].error
    delivered = [sid for ids in posted for sid in ids]
    assert delivered == [r.idempotency_key for i, r in enumerate(batch) if i != 5]  # in order


def refusing(posted: list[list[str]], accepted: list[str], hint):
    """An LRS refusing every batch holding a REFUSE answer, naming hint(batch, bad) as the culprit."""
    def handler(request: httpx.Request) -> httpx.Response:
        batch = json.loads(request.content)
        bad = [i for i, s in enumerate(batch) if s["result"]["response"] == "REFUSE"]
        posted.append([s["id"] for s in batch])
        if bad:
            return httpx.Response(422, json={"detail": [{"type": "uuid_parsing", "msg": "bad",
                                                         "loc": ["body", hint(batch, bad), "id"]}]})
        accepted.extend(s["id"] for s in batch)
        return httpx.Response(200, json=[s["id"] for s in batch])
    return handler


def test_the_statement_named_by_the_lrs_is_isolated_in_three_more_posts():
    posted: list[list[str]] = []
    accepted: list[str] = []
    batch = records(500, bad=300)
    outcomes = connector(refusing(posted, accepted, lambda b, bad: bad[0])).deliver(batch)
    assert [o.status for o in outcomes] == ["delivered"] * 300 + ["dead"] + ["delivered"] * 199
    assert [len(p) for p in posted] == [500, 300, 1, 199]
    assert accepted == [r.idempotency_key for i, r in enumerate(batch) if i != 300]  # in order


def test_a_wrong_hint_from_the_lrs_still_kills_only_the_bad_statement():
    posted: list[list[str]] = []
    accepted: list[str] = []
    batch = records(600, bad=450)
    outcomes = connector(refusing(posted, accepted, lambda b, bad: len(b) - 1)).deliver(batch)  # lying
    assert [o.status for o in outcomes] == ["delivered"] * 450 + ["dead"] + ["delivered"] * 149
    assert accepted == [r.idempotency_key for i, r in enumerate(batch) if i != 450]
    assert len(posted) < 40  # bisection after a wrong hint, not a walk one statement at a time


def test_a_batch_refused_statement_by_statement_is_walked_without_recursion():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": [{"loc": ["body", 0, "id"], "msg": "bad"}]})
    xapi, batch = connector(handler), records(300)
    depth = len(inspect.stack(0))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 200)  # a walk by recursion would need 2 frames per statement
    try:
        outcomes = xapi.deliver(batch)
    finally:
        sys.setrecursionlimit(limit)
    assert [o.status for o in outcomes] == ["dead"] * 300


def test_429_retry_after_is_honoured_and_nothing_after_is_sent():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "120"})
    outcomes = connector(handler).deliver(records(3))
    assert len(outcomes) == 1 and outcomes[0].status == "retry" and outcomes[0].retry_after == 120.0


@pytest.mark.parametrize("status", [401, 403, 404, 405, 407])
def test_a_refused_endpoint_kills_the_whole_batch_in_one_post(status):
    posts = []

    def handler(request: httpx.Request) -> httpx.Response:
        posts.append(request)
        return httpx.Response(status, json={"detail": "no"})
    outcomes = connector(handler).deliver(records(6))
    assert [o.status for o in outcomes] == ["dead"] * 6  # the issue: other 4xx -> dead
    assert all(f"HTTP {status}" in o.error and "[sync.xapi]" in o.error for o in outcomes)
    assert len(posts) == 1  # not bisected: the batch is not at fault, the endpoint is


def test_a_413_batch_is_split_and_later_batches_are_smaller():
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        batch = json.loads(request.content)
        sizes.append(len(batch))
        if len(batch) > 3:
            return httpx.Response(413)
        return httpx.Response(200, json=[s["id"] for s in batch])
    xapi = connector(handler)
    xapi.batch_size = 8
    outcomes = xapi.deliver(records(8))
    assert [o.status for o in outcomes] == ["delivered"] * 8
    assert sizes == [8, 4, 2, 2, 4, 2, 2]
    assert xapi.batch_size == 2  # the runner claims what got through from now on


def test_a_409_answer_that_is_not_json_is_retried_not_guessed():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(409)
        return httpx.Response(200, content=b"<html>oops</html>")
    outcomes = connector(handler).deliver(records(2))
    assert [o.status for o in outcomes] == ["retry"]


def test_a_413_limit_is_kept_from_pass_to_pass(tmp_path):
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        if request.method != "POST":
            return httpx.Response(200, json={"version": ["1.0.3"]})
        batch = json.loads(request.content)
        sizes.append(len(batch))
        if len(batch) > 3:
            return httpx.Response(413)
        return httpx.Response(200, json=[s["id"] for s in batch])
    config = synced_config(tmp_path, **{"sync.xapi.endpoint": "http://lrs.test/xAPI", "sync.xapi.username": "u",
                                      "sync.xapi.password_file": secret(tmp_path, "lrs", "p"),
                                      "sync.batch_size": 8, "sync.gzip": False})
    db = open_database(config.data_dir)
    runner = SyncRunner(config, link=Link(transport=httpx.MockTransport(handler)))
    enqueue_answers(db, 8)
    assert runner.once()["delivered"] == 8
    assert max(sizes) == 8
    sizes.clear()
    enqueue_answers(db, 8, start=8)
    assert runner.once()["delivered"] == 8
    assert sizes == [2, 2, 2, 2]  # no 413 again: the next pass claims what got through
    db.conn.close()
