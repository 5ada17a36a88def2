"""The outbox queue: claim in seq order per target, head-of-line retry, dead and replay."""

from __future__ import annotations

import datetime as dt
import json

from classbox.sync import outbox
from classbox.sync.connectors import Outcome
from classbox.sync.runner import SyncRunner
from tests.sync.conftest import enqueue_answers, synced_config


class ScriptedConnector:
    """A connector that answers from a script and remembers what it was given."""

    kind, target, batch_size = "xapi", "lrs", 3

    def __init__(self, script):
        self.script = script
        self.seen = []

    def deliver(self, records):
        self.seen.append([r.seq for r in records])
        return self.script(records)


def test_claim_gives_seq_order_and_the_outcome_counts_the_attempt(tmp_path, open_db):
    """Claiming writes nothing (SD card); the attempt is counted with its outcome, in one commit."""
    db = open_db(synced_config(tmp_path).data_dir)
    enqueue_answers(db, 5)
    enqueue_answers(db, 2, target="workspace-other")
    batch = outbox.claim(db, "lrs", 3, now=1000.0)
    assert [r.seq for r in batch] == [1, 2, 3]
    assert all(r.attempts == 1 for r in batch)
    assert db.execute("SELECT MAX(attempts) FROM outbox").fetchone()[0] == 0
    outbox.mark_delivered(db, [1])
    outbox.mark_retry(db, [2, 3], "HTTP 503", 60, now=1000.0)
    attempts = db.execute("SELECT seq, attempts FROM outbox WHERE seq <= 4 ORDER BY seq").fetchall()
    assert attempts == [(1, 1), (2, 1), (3, 1), (4, 0)]


def test_head_waiting_for_retry_blocks_its_target_only(tmp_path, open_db):
    db = open_db(synced_config(tmp_path).data_dir)
    enqueue_answers(db, 3)
    enqueue_answers(db, 1, target="other")
    outbox.mark_retry(db, [1], "HTTP 503", 60, now=1000.0)
    assert outbox.claim(db, "lrs", 10, now=1010.0) == []
    assert [r.seq for r in outbox.claim(db, "other", 10, now=1010.0)] == [4]
    assert [r.seq for r in outbox.claim(db, "lrs", 10, now=1061.0)] == [1, 2, 3]


def test_clock_jumping_back_does_not_freeze_the_queue(tmp_path, open_db):
    db = open_db(synced_config(tmp_path).data_dir)
    enqueue_answers(db, 1)
    outbox.mark_retry(db, [1], "HTTP 503", 60, now=2_000_000_000.0)
    # the wall clock is now a year earlier: the retry time is absurdly far, so the record is due
    assert [r.seq for r in outbox.claim(db, "lrs", 10, now=2_000_000_000.0 - 365 * 86400)] == [1]


def test_unreadable_payload_goes_dead_instead_of_blocking(tmp_path, open_db):
    db = open_db(synced_config(tmp_path).data_dir)
    enqueue_answers(db, 2)
    with db.conn:
        db.execute("UPDATE outbox SET payload = '{broken' WHERE seq = 1")
    assert [r.seq for r in outbox.claim(db, "lrs", 10)] == [2]
    assert db.execute("SELECT state FROM outbox WHERE seq = 1").fetchone()[0] == "dead"


WEDNESDAY_10H = dt.datetime(2026, 11, 25, 10, 0)


def run_with(config, connector, local=WEDNESDAY_10H):
    runner = SyncRunner(config, local_now=lambda: local, connectors=lambda *a: {"lrs": connector})
    try:
        return runner.once()
    finally:
        runner.link.close()


def test_transient_failure_keeps_everything_pending_in_order(tmp_path, open_db):
    config = synced_config(tmp_path)
    db = open_db(config.data_dir)
    enqueue_answers(db, 5)
    connector = ScriptedConnector(lambda records: [Outcome.delivered(), Outcome.retry("HTTP 503", 30)])
    summary = run_with(config, connector)
    assert summary["delivered"] == 1 and summary["retry"] == 1
    states = db.execute("SELECT seq, state, next_attempt_at > 0 FROM outbox ORDER BY seq").fetchall()
    assert states[0][1] == "delivered"
    assert [s[1] for s in states[1:]] == ["pending"] * 4
    assert states[1][2] == 1  # the head now waits for its retry
    assert connector.seen == [[1, 2, 3]]


def test_permanent_failure_kills_only_that_record_and_retry_dead_replays_it(tmp_path, runner, open_db):
    config = synced_config(tmp_path)
    db = open_db(config.data_dir)
    enqueue_answers(db, 6)

    def script(records):
        return [Outcome.dead("HTTP 400 bad") if r.seq == 2 else Outcome.delivered() for r in records]
    connector = ScriptedConnector(script)
    summary = run_with(config, connector)
    assert summary == {"delivered": 5, "dead": 1, "retry": 0, "stopped": False, "window_open": True}
    assert connector.seen == [[1, 2, 3], [4, 5, 6]]
    row = db.execute("SELECT state, last_error FROM outbox WHERE seq = 2").fetchone()
    assert row == ("dead", "HTTP 400 bad")
    from classbox.cli import cli

    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "sync", "status", "--json"])
    status = json.loads(result.output)
    assert status["dead"] == 1 and status["dead_records"][0]["seq"] == 2
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "sync", "retry-dead"])
    assert "1 record(s) back" in result.output
    assert db.execute("SELECT state, attempts FROM outbox WHERE seq = 2").fetchone() == ("pending", 0)


def test_window_closed_sends_nothing_until_it_opens(tmp_path, open_db):
    config = synced_config(tmp_path, **{"sync.window": "17:30-07:30"})
    db = open_db(config.data_dir)
    enqueue_answers(db, 2)
    connector = ScriptedConnector(lambda records: [Outcome.delivered() for _ in records])
    summary = run_with(config, connector)
    assert summary["window_open"] is False and connector.seen == []
    summary = run_with(config, connector, local=dt.datetime(2026, 11, 25, 18, 0))
    assert summary["delivered"] == 2
