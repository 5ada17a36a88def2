"""Sparing the SD card: a sync pass writes each batch's outcome (the rows, the attempt, the status,
the bytes on the wire) in one commit, and nothing before the delivery is known."""

from __future__ import annotations

import time

import pytest

from classbox.storage import open_database
from classbox.sync import status
from classbox.sync.runner import SyncRunner
from tests.sync.conftest import enqueue_answers, lrs_config, stored_ids
from tests.sync.test_idle_pass import unreachable_lrs


class Commits:
    """Counts the COMMITs a connection runs (its trace callback)."""

    def __init__(self, db) -> None:
        self.count = 0
        db.conn.set_trace_callback(self._seen)

    def _seen(self, statement: str) -> None:
        self.count += statement.strip().upper().startswith(("COMMIT", "END"))


@pytest.mark.peer
def test_a_pass_delivering_new_rows_commits_once_per_batch(tmp_path, ralph):
    config = lrs_config(tmp_path, ralph, **{"sync.batch_size": 10})
    db = open_database(config.data_dir)
    runner = SyncRunner(config)
    enqueue_answers(db, 2)
    assert runner.once(db=db)["delivered"] == 2  # the first pass dates the box, purges, notes the bytes
    ids = enqueue_answers(db, 25, start=2)
    commits = Commits(db)
    assert runner.once(db=db)["delivered"] == 25
    assert commits.count == 3, "25 rows in batches of 10: one commit per batch"
    assert set(ids) <= set(stored_ids(ralph, config["box"]["id"]))
    states = db.execute("SELECT state, attempts, COUNT(*) FROM outbox GROUP BY state, attempts").fetchall()
    assert states == [("delivered", 1, 27)]
    stored = status.load(db)
    assert stored["targets"]["lrs"]["last_success"] is not None
    assert stored["bytes_sent_today"] > 0 and stored["bytes_received_today"] > 0
    runner.link.close()
    db.conn.close()


def test_a_failed_attempt_commits_once(tmp_path):
    """The ENT out of reach with a new error each time (the same error is kept in memory:
    test_kept_retries.py): the attempt, the next retry and the error are one commit."""
    config = unreachable_lrs(tmp_path)
    db = open_database(config.data_dir)
    enqueue_answers(db, 5)
    now = [time.time()]
    runner = SyncRunner(config, now=lambda: now[0])
    assert runner.once(db=db)["retry"] == 1
    for attempt in (2, 3):
        config["sync.xapi"]["endpoint"] = unreachable_lrs(tmp_path)["sync.xapi"]["endpoint"]  # another refusal
        now[0] = db.execute("SELECT next_attempt_at FROM outbox ORDER BY seq LIMIT 1").fetchone()[0]
        before = status.load(db)["targets"]["lrs"]["last_error"]["at"]
        commits = Commits(db)
        assert runner.once(db=db)["retry"] == 1
        assert commits.count == 1
        assert db.execute("SELECT attempts FROM outbox ORDER BY seq LIMIT 1").fetchone()[0] == attempt
        error = status.load(db)["targets"]["lrs"]["last_error"]
        assert error["at"] > before and error["message"], "the error of this attempt is noted"
    db.conn.close()
