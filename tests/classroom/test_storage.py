"""Group commit, privacy hooks, retention and the live counts kept for health."""

import json
import threading
import time
from pathlib import Path

import pytest

from classbox.classroom import privacy_erase, privacy_export
from classbox.classroom.errors import ClassroomError
from classbox.classroom.privacy import purge_closed
from classbox.storage import open_database
from classbox.storage.core import get_state
from classbox.storage.db import db_path
from classbox.storage.writer import GroupWriter
from tests.classroom.conftest import ack, new_id
from tests.classroom.test_handins import PNG, upload
from tests.helpers import wait_until


def test_group_writer_batches_concurrent_writes_into_few_commits(tmp_path, app):
    data_dir = Path(app.config["CLASSBOX"].data_dir)
    writer = GroupWriter(data_dir, emulate_commit_ms=20)
    done = []

    def write(i):
        writer.run(lambda db: db.execute("INSERT INTO box_state (key, value) VALUES (?, '1')", [f"k{i}"]))
        done.append(i)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(done) == list(range(60))
    assert writer.batches < 30  # many writes shared each 20 ms commit
    db = open_database(data_dir)
    assert db.execute("SELECT COUNT(*) FROM box_state WHERE key LIKE 'k%'").fetchone()[0] == 60
    db.conn.close()


def test_a_failing_job_fails_alone(app):
    writer = GroupWriter(Path(app.config["CLASSBOX"].data_dir))
    writer.run(lambda db: db.execute("INSERT INTO box_state (key, value) VALUES ('a', '1')"))
    with pytest.raises(Exception):
        writer.run(lambda db: db.execute("INSERT INTO box_state (key, value) VALUES ('a', '2')"))
    assert writer.run(lambda db: db.execute("SELECT value FROM box_state WHERE key = 'a'").fetchone()[0]) == "1"


def _gated(writer):
    """Hold the writer on a job until the returned event is set (so the next writes queue up)."""
    started, gate = threading.Event(), threading.Event()
    writer.queue(lambda _db: (started.set(), gate.wait(10)))
    assert started.wait(10)
    return gate


def _queue_in_order(writer, calls):
    """Start each call in its own thread once the previous one is queued; the threads."""
    threads = []
    for call in calls:
        before = writer._queue.qsize()
        threads.append(threading.Thread(target=call))
        threads[-1].start()
        assert wait_until(lambda: writer._queue.qsize() != before, 10, 0.001)
    return threads


def test_items_queued_together_share_one_call_and_a_bad_item_fails_alone(app):
    writer = GroupWriter(Path(app.config["CLASSBOX"].data_dir))
    calls, results = [], {}

    def many(db, keys):
        calls.append(list(keys))
        if "boom" in keys:
            raise ValueError("boom")
        db.conn.executemany("INSERT INTO box_state (key, value) VALUES (?, '1')", [[k] for k in keys if k != "refused"])
        return [KeyError(k) if k == "refused" else f"stored {k}" for k in keys]

    def write(key):
        try:
            results[key] = writer.run_item(many, key)
        except Exception as err:
            results[key] = type(err).__name__

    gate = _gated(writer)
    keys = ["a", "b", "refused", "c"]
    threads = _queue_in_order(writer, [lambda k=k: write(k) for k in keys])
    gate.set()
    for t in threads:
        t.join()
    assert calls == [keys], "consecutive items went to one call"
    assert results == {"a": "stored a", "b": "stored b", "refused": "KeyError", "c": "stored c"}

    calls.clear()
    gate = _gated(writer)
    threads = _queue_in_order(writer, [lambda k=k: write(k) for k in ["d", "boom", "e"]])
    gate.set()
    for t in threads:
        t.join()
    assert calls == [["d", "boom", "e"], ["d"], ["boom"], ["e"]], "a failed call is retried item by item"
    assert (results["d"], results["boom"], results["e"]) == ("stored d", "ValueError", "stored e")
    stored = writer.run(lambda db: [r[0] for r in db.execute("SELECT key FROM box_state WHERE value = '1' "
                                                                "ORDER BY key")])
    assert stored == ["a", "b", "c", "d", "e"]


def test_answers_stored_together_keep_each_its_own_outcome(app, teacher_sio, pupil, db):
    teacher, code = teacher_sio
    _, lea = pupil(code, "Léa")
    _, tom = pupil(code, "Tom")
    quiz = ack(teacher, "push", {"type": "quiz", "kind": "number", "question": "6 × 7 ?", "correct": 42})["activity"]
    classroom = app.extensions["classroom"]
    session_id = db.execute("SELECT id FROM classroom_sessions WHERE code = ?", [code]).fetchone()[0]
    same = new_id()
    sends = [(lea, same, 42), (lea, same, 42), (tom, same, 41), (tom, new_id(), "quarante"), (tom, new_id(), 41)]
    outcomes = [None] * len(sends)

    def send(i, joined, submission_id, answer):
        try:
            outcomes[i] = classroom.submit(session_id, joined["pupil_id"], {
                "activity_id": quiz["id"], "submission_id": submission_id, "answer": answer})["duplicate"]
        except ClassroomError as err:
            outcomes[i] = err.code

    gate = _gated(classroom.writer)
    batches = classroom.writer.batches
    threads = _queue_in_order(classroom.writer, [lambda i=i, s=s: send(i, *s) for i, s in enumerate(sends)])
    gate.set()
    for t in threads:
        t.join()
    assert classroom.writer.batches == batches + 2  # the gate's batch, then all five answers in one
    assert outcomes == [False, True, "duplicate_id", "invalid_answer", False]
    rows = db.execute("SELECT pupil_id, answer, correct FROM classroom_submissions ORDER BY seq").fetchall()
    assert rows == [(lea["pupil_id"], "42.0", 1), (tom["pupil_id"], "41.0", 0)]
    statements = [json.loads(r[0]) for r in db.execute("SELECT payload FROM outbox WHERE payload LIKE "
                                                         "'%\"answered\"%' ORDER BY seq")]
    assert [(s["pupil"]["name"], s["result"]["success"]) for s in statements] == [("Léa", True), ("Tom", False)]
    seqs = [r[0] for r in db.execute("SELECT seq FROM classroom_submissions ORDER BY seq")]
    assert seqs[1] == seqs[0] + 1


def test_privacy_export_and_erase(app, teacher_sio, pupil, db):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    tom, other = pupil(code, "Tom")
    quiz = ack(teacher, "push", {"type": "quiz", "kind": "text", "question": "?"})["activity"]
    ack(lea, "submit", {"activity_id": quiz["id"], "submission_id": new_id(), "answer": "ma réponse"})
    ack(tom, "submit", {"activity_id": quiz["id"], "submission_id": new_id(), "answer": "autre"})
    handin = ack(teacher, "push", {"type": "handin", "instructions": "x", "accept": ["photo"]})["activity"]
    assert upload(app.test_client(), joined, handin, PNG).status_code == 200
    exported = privacy_export(db, joined["pupil_id"])
    assert exported["pupils"][0]["name"] == "Léa"
    assert [s["answer"] for s in exported["submissions"]][0] == "ma réponse"
    files = list(Path(app.config["CLASSBOX"].data_dir).glob("handins/**/*.png"))
    assert len(files) == 1
    assert privacy_erase(db, joined["pupil_id"]) == 3
    assert privacy_export(db, joined["pupil_id"]) == {"pupils": [], "submissions": []}
    assert not files[0].exists()
    assert privacy_export(db, other["pupil_id"])["submissions"][0]["answer"] == "autre"


def test_closed_sessions_are_purged_after_the_retention(app, teacher_sio, pupil, db):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    handin = ack(teacher, "push", {"type": "handin", "instructions": "x", "accept": ["photo"]})["activity"]
    upload(app.test_client(), joined, handin, PNG)
    assert purge_closed(db, 30) == 0  # still open
    ack(teacher, "close_session")
    assert purge_closed(db, 30) == 0  # closed today
    assert purge_closed(db, 30, now=time.time() + 31 * 86400) == 1
    assert db["classroom_pupils"].count == 0 and db["classroom_submissions"].count == 0
    assert not list(Path(app.config["CLASSBOX"].data_dir).glob("handins/**/*.png"))


def test_answers_arriving_together_share_one_commit_and_each_is_acked_after_it(app):
    from tests.health.test_sd_card import CommitWatch

    data_dir = Path(app.config["CLASSBOX"].data_dir)
    n = 8
    writer = GroupWriter(data_dir, gather_ms=600_000, gather_max=n)  # the window never ends first here
    watch = CommitWatch(db_path(data_dir))
    reader = open_database(data_dir)
    acked = []

    def answer(i):
        writer.run(lambda db: db.execute("INSERT INTO box_state (key, value) VALUES (?, '1')", [f"a{i}"]))
        seen = reader.execute("SELECT COUNT(*) FROM box_state WHERE key = ?", [f"a{i}"]).fetchone()[0]
        acked.append((i, seen))  # what another connection sees once this caller has its ack

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(n)]
    for t in threads[:-1]:
        t.start()
    assert wait_until(lambda: writer.gathering == n - 1, 15, 0.01)
    assert acked == [] and not watch.committed(), "an answer was acked or committed before its group"
    threads[-1].start()
    for t in threads:
        t.join()
    assert writer.batches == 1, "the answers did not share one commit"
    assert sorted(acked) == [(i, 1) for i in range(n)], "an answer was acked before it was committed"
    assert watch.committed()
    reader.conn.close()


def test_a_lone_answer_is_not_held_past_the_gather_window(app):
    data_dir = Path(app.config["CLASSBOX"].data_dir)
    ticks = iter(range(0, 10**9, 1000))  # each reading of the writer's clock is 1,000 s later
    writer = GroupWriter(data_dir, gather_ms=600_000, clock=lambda: float(next(ticks)))  # a 10 min window
    done = threading.Event()
    threading.Thread(target=lambda: (writer.run(lambda db: db.execute(
        "INSERT INTO box_state (key, value) VALUES ('lone', '1')")), done.set()), daemon=True).start()
    assert done.wait(60), "the writer kept waiting for company after its window"
    assert writer.batches == 1


def test_live_counts_reach_health_from_ram_without_a_commit(app, teacher_sio, pupil, db, config):
    from classbox.health.appstate import LIVE_FILE, classroom
    from classbox.storage.volatile import read_runtime_json
    from tests.health.test_sd_card import CommitWatch

    _, code = teacher_sio
    pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    live = lambda: read_runtime_json(config.runtime_dir, LIVE_FILE)  # noqa: E731
    assert wait_until(lambda: live() == {"pupils": 2, "teachers": 1, "sessions": 1}, 15, 0.2), live()
    watch = CommitWatch(db_path(config.data_dir))
    tom.disconnect(namespace="/classroom")  # presence changes: health sees it, classbox.db is not written
    assert wait_until(lambda: live() == {"pupils": 1, "teachers": 1, "sessions": 1}, 15, 0.2), live()
    assert classroom(db, config.runtime_dir) == {"pupils": 1, "teachers": 1, "sessions": 1}
    assert not watch.committed(), "a presence change committed to classbox.db"
    assert get_state(db, "classroom.live") is None


def test_agent_offers_the_retention_service(app, config):
    from classbox.classroom import agent_services

    [service] = agent_services(config)
    assert service.name == "classroom-retention"
    stop = threading.Event()
    stop.set()
    service.run(stop)  # one pass, then returns


def test_outbox_records_queued_together_skip_keys_already_queued_and_take_consecutive_seqs(db):
    from classbox.storage.core import next_seq, next_seqs
    from classbox.sync.outbox import enqueue, enqueue_many

    with db.conn:
        enqueue(db, "xapi", "lrs", {"n": 1}, "k1", "p-1")
        enqueue_many(db, [("xapi", "lrs", {"n": "again"}, "k1", "p-1"), ("webdav", "workspace", {"n": 2}, "k2", None)])
        first = next_seq(db)
        assert list(next_seqs(db, 3)) == [first + 1, first + 2, first + 3]
        assert next_seq(db) == first + 4
    rows = db.execute("SELECT idempotency_key, kind, payload FROM outbox ORDER BY seq").fetchall()
    assert rows == [("k1", "xapi", '{"n":1}'), ("k2", "webdav", '{"n":2}')]
    with pytest.raises(ValueError):
        enqueue_many(db, [("mail", "x", {}, "k3", None)])


def test_wal_checkpoints_run_in_the_background_not_in_the_writers_commits(app):
    writer = GroupWriter(Path(app.config["CLASSBOX"].data_dir))
    writer.run(lambda db: db.execute("INSERT INTO box_state (key, value) VALUES ('c', '1')"))
    assert writer.run(lambda db: db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 10_000
    writer.checkpointer.every_s = 0  # one after every commit: a busy moment must not decide the test
    deadline, result = time.monotonic() + 20, None
    while time.monotonic() < deadline:
        writer.run(lambda db: db.execute("UPDATE box_state SET value = value + 1 WHERE key = 'c'"))
        time.sleep(0.05)
        result = writer.checkpointer.last_result
        if result is not None and result[0] == 0 and result[2] == result[1] > 0:
            break
    assert result is not None and result[0] == 0 and result[2] == result[1] > 0, \
        f"the committed WAL was copied into the database file: {result}"


def test_background_checkpoints_run_one_at_a_time_at_most_once_every_hour(tmp_path):
    from classbox.storage.checkpoint import EVERY_S, Checkpointer

    assert EVERY_S == 3600.0  # the SD card: a hot page reaches the database file once an hour

    now, started = [100.0], []
    checkpointer = Checkpointer(tmp_path, started.append, lambda fn: (0, 3, 3), clock=lambda: now[0])
    checkpointer.poke()
    checkpointer.poke()  # one is running
    assert len(started) == 1
    started[0]()
    assert checkpointer.runs == 1 and checkpointer.last_result == (0, 3, 3)
    now[0] += 3599.5
    checkpointer.poke()
    assert len(started) == 1
    now[0] += 0.6
    checkpointer.poke()
    assert len(started) == 2
