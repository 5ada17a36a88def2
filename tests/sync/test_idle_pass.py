"""Sparing the SD card: a sync pass with nothing new writes nothing to classbox.db."""

from __future__ import annotations

import time

from classbox.storage import open_database
from classbox.storage.db import db_path
from classbox.sync.runner import SyncRunner
from tests.health.test_sd_card import CommitWatch
from tests.helpers import free_port
from tests.sync.conftest import enqueue_answers, secret, synced_config


def unreachable_lrs(tmp_path, **overrides):
    """A config whose LRS is a closed port, as when the uplink is down."""
    return synced_config(tmp_path, **{"sync.xapi.endpoint": f"http://127.0.0.1:{free_port()}/xapi/",
                                    "sync.xapi.username": "box",
                                    "sync.xapi.password_file": secret(tmp_path, "lrs", "pw"), **overrides})


def test_passes_with_nothing_due_commit_nothing(tmp_path):
    config = unreachable_lrs(tmp_path)
    db = open_database(config.data_dir)
    enqueue_answers(db, 5)
    start = time.time()
    runner = SyncRunner(config, now=lambda: start)  # time stands still: the retry never comes
    first = runner.once(db=db)  # delivery fails: the records wait for their retry
    assert first["retry"] == 1
    watch = CommitWatch(db_path(config.data_dir))
    for _ in range(5):
        assert runner.once(db=db)["retry"] == 0
    assert not watch.committed(), "a pass with nothing due wrote to classbox.db"
    db.conn.close()


def test_passes_with_an_empty_outbox_commit_nothing(tmp_path):
    config = unreachable_lrs(tmp_path)
    db = open_database(config.data_dir)
    runner = SyncRunner(config)
    runner.once(db=db)
    watch = CommitWatch(db_path(config.data_dir))
    for _ in range(5):
        runner.once(db=db)
    assert not watch.committed()
    db.conn.close()


def test_after_a_failure_one_record_probes_the_ent(tmp_path):
    """While the ENT is out of reach, a retry rewrites one row, not the whole batch (SD card)."""
    config = unreachable_lrs(tmp_path)
    db = open_database(config.data_dir)
    enqueue_answers(db, 50)
    now = [1_790_000_000.0]
    runner = SyncRunner(config, now=lambda: now[0])
    for _ in range(3):
        head_due = db.execute("SELECT next_attempt_at FROM outbox ORDER BY seq LIMIT 1").fetchone()[0]
        now[0] = max(now[0], runner.kept.next_due().get("lrs", head_due))
        assert runner.once(db=db)["retry"] == 1
    runner.write_down(db)  # the same error again: the last two counts were kept in memory
    attempts = [row[0] for row in db.execute("SELECT attempts FROM outbox ORDER BY seq")]
    assert attempts == [3] + [0] * 49  # the first pass tried the batch (its head stands for it), then the head
    db.conn.close()


def test_passes_during_a_class_commit_nothing_while_only_the_queue_grows(tmp_path):
    """Answers keep arriving, the ENT is out of reach: a pass with nothing due writes no status
    (the queue figures are recomputed whenever someone looks: `classbox sync status`, /admin)."""
    config = unreachable_lrs(tmp_path)
    db = open_database(config.data_dir)
    enqueue_answers(db, 5)
    start = time.time()
    runner = SyncRunner(config, now=lambda: start)
    assert runner.once(db=db)["retry"] == 1
    for _ in range(3):
        enqueue_answers(db, 5)  # the class answers between two passes (the web's commits)
        watch = CommitWatch(db_path(config.data_dir))
        assert runner.once(db=db)["retry"] == 0
        assert not watch.committed(), "a pass with nothing due wrote to classbox.db"
    db.conn.close()


def test_an_unreachable_ent_is_tried_a_few_times_in_the_first_ten_minutes(tmp_path):
    """The uplink drops during a class: the first retries wait [sync] retry_base_s (30 s), doubling,
    each at least half its ceiling; a few commits in the first ten minutes, not one every few seconds."""
    config = unreachable_lrs(tmp_path, **{"sync.retry_base_s": 30.0})  # the default
    db = open_database(config.data_dir)
    enqueue_answers(db, 5)
    start = 1_790_000_000.0
    now = [start]
    runner = SyncRunner(config, now=lambda: now[0])
    times = []
    while now[0] < start + 600:
        assert runner.once(db=db)["retry"] == 1
        times.append(now[0])
        head_due = db.execute("SELECT next_attempt_at FROM outbox ORDER BY seq LIMIT 1").fetchone()[0]
        now[0] = runner.kept.next_due().get("lrs", head_due)  # the same error: kept in memory
    assert times[1] - times[0] >= 15
    assert len(times) <= 6  # ≥ 15, 30, 60, 120, 240 s apart (full jitter from 2 s: 9 or more)
    runner.write_down(db)
    assert db.execute("SELECT attempts FROM outbox ORDER BY seq LIMIT 1").fetchone()[0] == len(times)
    runner.link.close()
    db.conn.close()
