"""Sparing the SD card while the ENT stays out of reach: a failed retry with nothing new writes
nothing (its attempt count and next retry are kept in memory and written down at least hourly and
at a clean stop), and a failed batch rewrites its head record only (docs/performance.md, issue 23)."""

from __future__ import annotations

import struct
import threading

from classbox.storage.db import db_path
from classbox.sync import status
from classbox.sync.runner import SyncRunner, SyncService
from tests.health.test_sd_card import CommitWatch
from tests.sync.conftest import enqueue_answers
from tests.sync.test_idle_pass import unreachable_lrs


def head(db) -> tuple[int, float]:
    return db.execute("SELECT attempts, next_attempt_at FROM outbox ORDER BY seq LIMIT 1").fetchone()


def wal_frames(data_dir) -> int:
    """Frames in classbox.db-wal (the test's connection never checkpoints)."""
    wal = (data_dir / "classbox.db-wal").read_bytes()
    page = struct.unpack(">I", wal[8:12])[0]
    return (len(wal) - 32) // (page + 24)


def test_a_failed_retry_with_nothing_new_writes_nothing(tmp_path, open_db):
    config = unreachable_lrs(tmp_path)
    db = open_db(config.data_dir)
    enqueue_answers(db, 5)
    now = [1_790_000_000.0]
    runner = SyncRunner(config, now=lambda: now[0])
    assert runner.once(db=db)["retry"] == 1  # a new error: written (row and status)
    first_due = head(db)[1]
    waits = []
    for _ in range(4):  # the same "connection refused", again and again
        now[0] = max(now[0], runner.kept.next_due().get("lrs", first_due))
        watch = CommitWatch(db_path(config.data_dir))
        assert runner.once(db=db)["retry"] == 1, "the due retry was not attempted"
        assert not watch.committed(), "a failed retry with nothing new wrote to classbox.db"
        waits.append(runner.kept.next_due()["lrs"] - now[0])
        assert runner.once(db=db)["retry"] == 0, "retried again before its time"
    assert waits[-1] > 4 * waits[0] / 2, "the backoff did not grow with the kept attempts"
    assert head(db)[0] == 1  # the row still holds the last written count


def test_kept_attempts_are_written_down_within_an_hour_and_at_a_clean_stop(tmp_path, open_db):
    config = unreachable_lrs(tmp_path, **{"sync.interval_s": 1.0})
    db = open_db(config.data_dir)
    enqueue_answers(db, 5)
    now = [1_790_000_000.0]
    runner = SyncRunner(config, now=lambda: now[0])
    runner.once(db=db)
    attempts = 1
    written, unwritten = [], []  # times of the attempts written down / made since the last write
    while now[0] < 1_790_000_000.0 + 3 * 3600 or not runner.kept.by_target:  # end on a kept attempt
        now[0] = max(now[0], runner.kept.next_due().get("lrs", head(db)[1]))
        watch = CommitWatch(db_path(config.data_dir))
        assert runner.once(db=db)["retry"] == 1
        attempts += 1
        if watch.committed():
            written.append(now[0])
            unwritten = []
            assert head(db)[0] == attempts, "the count written down is not the attempts made"
        else:
            unwritten.append(now[0])
            # what a power cut would lose now: the attempts of at most an hour (the waits between are random)
            assert unwritten[-1] - unwritten[0] < 3600, f"attempts unwritten over more than an hour: {unwritten}"
    assert written, "the kept counts were never written down"
    assert head(db)[0] < attempts, "the last attempts should still be in memory"
    service = SyncService(config)
    service.runner = runner
    stop = threading.Event()
    stop.set()  # a clean stop before any pass: what is kept is written down
    service.run(stop)
    assert head(db)[0] == attempts
    assert head(db)[1] > now[0], "the next retry was not written down"


def test_a_power_cut_loses_only_kept_counts_every_record_stays_queued(tmp_path, open_db):
    config = unreachable_lrs(tmp_path)
    db = open_db(config.data_dir)
    enqueue_answers(db, 5)
    now = [1_790_000_000.0]
    runner = SyncRunner(config, now=lambda: now[0])
    runner.once(db=db)
    for _ in range(3):
        now[0] = max(now[0], runner.kept.next_due().get("lrs", head(db)[1]))
        runner.once(db=db)
    restarted = SyncRunner(config, now=lambda: now[0])  # the agent after a power cut: memory gone
    assert db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall() == [("pending", 5)]
    assert restarted.once(db=db)["retry"] == 1, "the head is tried once at the next start"
    assert status.load(db)["targets"]["lrs"]["last_error"]["message"]


def test_a_failed_batch_rewrites_its_head_only(tmp_path, open_db):
    """Head-of-line: the records behind the head wait for it, their rows need no rewrite (SD card)."""
    config = unreachable_lrs(tmp_path, **{"sync.batch_size": 50})
    db = open_db(config.data_dir)
    db.conn.execute("PRAGMA wal_autocheckpoint = 0")
    enqueue_answers(db, 120)
    now = [1_790_000_000.0]
    runner = SyncRunner(config, now=lambda: now[0])
    runner.once(db=db)  # the first pass dates nothing, purges (once an hour): not counted
    enqueue_answers(db, 120, start=120)
    runner = SyncRunner(config, now=lambda: now[0])  # as after an agent restart: the first attempt sends a batch
    now[0] = head(db)[1] + 1
    db.execute("UPDATE outbox SET last_error = NULL")  # so the failure is new and must be written
    db.conn.commit()
    before = wal_frames(config.data_dir)
    assert runner.once(db=db)["retry"] == 1
    assert wal_frames(config.data_dir) - before <= 4, "a failed batch rewrote more than its head's pages"
    changed = db.execute("SELECT COUNT(*) FROM outbox WHERE attempts > 0 OR last_error IS NOT NULL").fetchone()[0]
    assert changed == 1
    now[0] += 1  # before the head's retry: nothing behind it is sent either
    assert runner.once(db=db)["retry"] == 0
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0] == 240
