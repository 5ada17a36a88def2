"""xAPI delivery to a real ralph LRS on loopback: exactly once, in order, faults survived."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from classbox.storage import open_database
from classbox.sync.outbox import enqueue
from classbox.sync.runner import SyncRunner
from tests.helpers import wait_until
from tests.sync.conftest import answer_payload, enqueue_answers, lrs_config, secret, stored_ids
from tests.sync.peers import Ralph

pytestmark = pytest.mark.peer


def drain(config, rounds: int = 20):
    """Run passes until nothing is pending (ignoring backoff waits: tests move time forward)."""
    skew = [0.0]
    runner = SyncRunner(config, now=lambda: time.time() + skew[0])
    total = {"delivered": 0, "dead": 0}
    try:
        for _ in range(rounds):
            skew[0] += 4000.0  # past any backoff of the previous round
            summary = runner.once()
            total["delivered"] += summary["delivered"]
            total["dead"] += summary["dead"]
            db = open_database(config.data_dir)
            left = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
            db.conn.close()
            if not left:
                break
    finally:
        runner.link.close()
    return total


def box(config) -> str:
    return config["box"]["id"]


def test_statements_reach_the_lrs_once_in_seq_order(tmp_path, ralph):
    config = lrs_config(tmp_path, ralph, **{"sync.batch_size": 25})
    db = open_database(config.data_dir)
    ids = enqueue_answers(db, 120)
    assert drain(config)["delivered"] == 120
    assert stored_ids(ralph, box(config)) == ids
    statement = next(s for s in ralph.stored() if s["id"] == ids[0])
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    assert statement["actor"]["account"] == {"homePage": f"http://{box(config)}.classbox.invalid", "name": "p-0"}
    assert "Léa" not in str(statement["actor"])  # never the pupil's name
    assert statement["result"]["response"] == "réponse 0"
    assert statement["result"]["success"] is True  # answer 0 is a right one
    assert statement["result"]["score"] == {"raw": 1, "min": 0, "max": 1, "scaled": 1.0}
    assert statement["object"]["definition"]["choices"][1]["description"] == {"fr-FR": "nuage"}
    assert statement["context"]["contextActivities"]["parent"][0]["id"].endswith("/sessions/1")
    seqs = [s["context"]["extensions"][f"http://{box(config)}.classbox.invalid/xapi/ext/seq"]
            for s in ralph.stored() if s["id"] in set(ids)]
    assert seqs == sorted(seqs)
    # a second pass sends nothing more
    assert drain(config)["delivered"] == 0
    assert len(stored_ids(ralph, box(config))) == 120


def test_roster_maps_pupils_to_their_ent_account(tmp_path, ralph, runner):
    config = lrs_config(tmp_path, ralph, **{"sync.xapi.ent_homepage": "https://ent.example.fr"})
    csv_file = tmp_path / "roster.csv"
    csv_file.write_text("pseudonyme;login_ent;classe\nLéa;lea.martin12;CM2\n", encoding="utf-8")
    from classbox.cli import cli

    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "roster", "import", str(csv_file)])
    assert result.exit_code == 0, result.output
    db = open_database(config.data_dir)
    sid, other = str(uuid.uuid4()), str(uuid.uuid4())
    with db.conn:
        enqueue(db, "xapi", "lrs", answer_payload(1, sid, pupil="p-1", name="Léa"), sid, "p-1")
        enqueue(db, "xapi", "lrs", answer_payload(2, other, pupil="p-2", name="Tom"), other, "p-2")
    drain(config)
    stored = {s["id"]: s for s in ralph.stored()}
    assert stored[sid]["actor"]["account"] == {"homePage": "https://ent.example.fr", "name": "lea.martin12"}
    assert stored[other]["actor"]["account"]["name"] == "p-2"


def test_conflict_with_our_own_earlier_send_counts_as_delivered(tmp_path, ralph):
    """A statement sent before a crash, re-sent with a corrected timestamp: 409, checked, ours."""
    config = lrs_config(tmp_path, ralph)
    db = open_database(config.data_dir)
    ids = enqueue_answers(db, 3)
    drain(config)
    with db.conn:  # as if the box had died before marking them delivered
        db.execute("UPDATE outbox SET state = 'pending', created_monotonic = created_monotonic - 30")
    assert drain(config) == {"delivered": 3, "dead": 0}
    assert stored_ids(ralph, box(config)) == ids


def test_id_taken_by_someone_else_goes_dead_alone(tmp_path, ralph):
    config = lrs_config(tmp_path, ralph)
    db = open_database(config.data_dir)
    ids = enqueue_answers(db, 3)
    foreign = {"id": ids[1], "actor": {"mbox": "mailto:someone@example.org"},
               "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
               "object": {"id": "http://example.org/other"}}
    response = httpx.post(ralph.endpoint + "/statements", json=[foreign],
                          auth=(ralph.username, ralph.password))
    assert response.status_code == 200
    assert drain(config) == {"delivered": 2, "dead": 1}
    row = db.execute("SELECT state, last_error FROM outbox WHERE idempotency_key = ?", [ids[1]]).fetchone()
    assert row[0] == "dead" and "already used" in row[1]
    assert stored_ids(ralph, box(config)) == [ids[0], ids[2]]


def test_one_rejected_statement_goes_dead_the_rest_in_order(tmp_path, ralph):
    config = lrs_config(tmp_path, ralph, **{"sync.batch_size": 10})
    db = open_database(config.data_dir)
    before = enqueue_answers(db, 6)
    with db.conn:  # an id the LRS must refuse (not a UUID)
        enqueue(db, "xapi", "lrs", answer_payload(6, "not-a-uuid"), "not-a-uuid", "p-6")
    after = enqueue_answers(db, 6, start=7)
    assert drain(config) == {"delivered": 12, "dead": 1}
    assert stored_ids(ralph, box(config)) == before + after
    state = db.execute("SELECT state, last_error FROM outbox WHERE idempotency_key = 'not-a-uuid'").fetchone()
    assert state[0] == "dead" and "HTTP 422" in state[1]


def test_lrs_down_for_the_first_run_then_up(tmp_path):
    server = Ralph(tmp_path / "lrs")
    config = lrs_config(tmp_path, server, **{"sync.batch_size": 20})
    db = open_database(config.data_dir)
    ids = enqueue_answers(db, 50)
    runner = SyncRunner(config)
    summary = runner.once()
    runner.link.close()
    assert summary["delivered"] == 0 and summary["retry"] == 1
    row = db.execute("SELECT attempts, last_error, next_attempt_at > 0 FROM outbox WHERE seq = 1").fetchone()
    assert row[0] == 1 and "ConnectError" in row[1] and row[2] == 1
    with server:
        assert drain(config)["delivered"] == 50
        assert [s["id"] for s in server.stored()] == ids


def test_lrs_killed_in_the_middle_of_a_batch(tmp_path):
    server = Ralph(tmp_path / "lrs").start()
    try:
        # 64 kbit/s: a batch of 40 statements takes seconds to upload, time to kill the LRS
        config = lrs_config(tmp_path, server, **{"sync.batch_size": 40, "sync.max_kbps": 64,
                                                 "sync.gzip": False})
        db = open_database(config.data_dir)
        ids = enqueue_answers(db, 80)
        runner = SyncRunner(config)
        result = {}
        worker = threading.Thread(target=lambda: result.update(runner.once()))
        worker.start()
        assert wait_until(lambda: runner.link.sent > 8000, timeout=60)
        server.kill9()
        worker.join(60)
        runner.link.close()
        assert result["delivered"] < 80
        server.start()
        config["sync"]["max_kbps"] = 0  # the cap only kept a batch in flight for the kill: the rest goes uncapped
        assert drain(config)["delivered"] + result["delivered"] == 80
        stored = [s["id"] for s in server.stored()]
        assert stored == ids  # no loss, no duplicate, in order
    finally:
        server.stop()


def test_gzip_refused_by_the_peer_falls_back_to_plain(tmp_path, ralph):
    config = lrs_config(tmp_path, ralph, **{"sync.gzip": True})
    db = open_database(config.data_dir)
    ids = enqueue_answers(db, 5)
    assert drain(config)["delivered"] == 5
    assert stored_ids(ralph, box(config)) == ids


def test_gzip_accepted_by_the_peer_is_used(tmp_path):
    with Ralph(tmp_path / "lrs", gzip_requests=True) as server:
        config = lrs_config(tmp_path, server, **{"sync.gzip": True, "sync.batch_size": 50})
        db = open_database(config.data_dir)
        ids = enqueue_answers(db, 100)
        runner = SyncRunner(config)
        try:
            runner.once()
            assert runner.connectors is not None
            sent = runner.link.sent
        finally:
            runner.link.close()
        assert [s["id"] for s in server.stored()] == ids
        assert sent < 100 * 400  # gzip: well under 400 bytes a statement on the wire


def test_sync_stops_at_the_window_end_and_resumes_where_it_stopped(tmp_path, ralph):
    import datetime as dt

    config = lrs_config(tmp_path, ralph, **{"sync.window": "17:30-07:30", "sync.max_kbps": 64,
                                            "sync.batch_size": 10, "sync.gzip": False})
    db = open_database(config.data_dir)
    ids = enqueue_answers(db, 60)
    closing = dt.datetime(2026, 11, 25, 7, 29, 58)  # a Wednesday, two seconds before the end
    runner = SyncRunner(config, local_now=lambda: closing)
    summary = runner.once()
    runner.link.close()
    assert summary["stopped"] and 0 < summary["delivered"] < 60
    first = stored_ids(ralph, box(config))
    assert first == ids[:len(first)]
    attempts = db.execute("SELECT MAX(attempts) FROM outbox WHERE state = 'pending'").fetchone()[0]
    assert attempts == 0  # an interrupted batch is not counted as a failed attempt
    assert SyncRunner(config, local_now=lambda: closing + dt.timedelta(hours=2)).once()["window_open"] is False
    config["sync"]["max_kbps"] = 0  # the cap only kept a batch on the wire at the window's end
    evening = SyncRunner(config, local_now=lambda: dt.datetime(2026, 11, 25, 18, 0))
    try:
        while evening.once()["delivered"]:
            pass
    finally:
        evening.link.close()
    assert stored_ids(ralph, box(config)) == ids


def test_refused_credentials_go_dead_then_retry_dead_delivers_in_seq_order(tmp_path, ralph, runner):
    """A 401 is permanent: dead, shown by `sync status`; fixed, then replayed in order."""
    from classbox.cli import cli

    config = lrs_config(tmp_path, ralph, **{"sync.batch_size": 4,
                                            "sync.xapi.password_file": secret(tmp_path, "bad", "wrong-pw")})
    db = open_database(config.data_dir)
    ids = enqueue_answers(db, 10)
    first = SyncRunner(config)
    try:
        summary = first.once()
    finally:
        first.link.close()
    assert (summary["delivered"], summary["dead"], summary["retry"]) == (0, 10, 0)
    assert stored_ids(ralph, box(config)) == []
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "sync", "status"])
    assert result.exit_code == 0, result.output
    assert "dead 10" in result.output
    assert "dead #1 xapi->lrs: POST statements: HTTP 401" in result.output
    assert "[sync.xapi]" in result.output
    # the technician fixes the password file, then replays the dead records
    (tmp_path / "bad.secret").write_text(ralph.password + "\n")
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "sync", "retry-dead"])
    assert result.exit_code == 0, result.output
    assert drain(config) == {"delivered": 10, "dead": 0}
    assert stored_ids(ralph, box(config)) == ids  # the original seq order
