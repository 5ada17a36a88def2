"""The answer journal past its pending limit: rows committed after the ack, at a quiet moment,
and never in the way of the class's next answers."""

from __future__ import annotations

import shutil
import threading


from classbox.storage import journal as answer_journal
from classbox.storage.writer import GroupWriter
from tests.helpers import wait_until
from tests.storage.test_journal import _answer, _keys, data_dir  # noqa: F401 (data_dir: a fixture)


def test_past_a_few_hundred_pending_rows_they_are_committed_after_the_ack(data_dir):
    """Every batch inserts the pending rows again first: a school of 300 answering must not grow that."""
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600, max_pending_rows=5)
    for key in ["a", "b", "c", "d", "e"]:
        writer.run(_answer(key), journaled=True)
    assert writer.commits == 0 and writer.pending_rows == 5
    writer.run(_answer("f"), journaled=True)
    wait_until(lambda: writer.commits == 1, what="the pending rows committed")
    assert writer.pending_rows == 0 and {"a", "f"} <= _keys(data_dir)


def test_the_answer_past_the_pending_limit_is_acked_without_waiting_for_their_commit(data_dir, tmp_path):
    """Its ack waits for its own journal record, not for the commit of the rows acked before it."""
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600, max_pending_rows=5)
    for key in ["a", "b", "c", "d", "e"]:
        writer.run(_answer(key), journaled=True)
    committing, gate, acked = threading.Event(), threading.Event(), threading.Event()
    real_finish = writer._finish

    def slow_commit():  # an SD card's slow fsync, held until the test lets it go
        committing.set()
        gate.wait(60)
        real_finish()

    writer._finish = slow_commit
    threading.Thread(target=lambda: (writer.run(_answer("f"), journaled=True), acked.set()), daemon=True).start()
    try:
        assert committing.wait(30), "the pending rows are committed"
        assert acked.wait(10), "the answer was acked while that commit was still running"
        assert "f" not in _keys(data_dir)  # durable by its journal record alone
    finally:
        gate.set()
    wait_until(lambda: {"a", "e", "f"} <= _keys(data_dir), what="the pending rows committed")
    shutil.copytree(data_dir, tmp_path / "cut")  # a kill -9 now: the running writer's lock is not copied
    assert answer_journal.recover_data_dir(tmp_path / "cut") == (0, 0)  # its journal holds nothing uncommitted


def test_past_the_limit_the_commit_waits_for_a_quiet_moment_while_the_class_keeps_answering(data_dir):
    """The class's next answers never queue behind that commit, up to twice the limit."""
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600, max_pending_rows=5, quiet_s=3600)
    for i in range(10):  # answers keep coming: no quiet moment
        writer.run(_answer(f"k{i}"), journaled=True)
    assert writer.commits == 0 and writer.pending_rows == 10
    writer.run(_answer("k10"), journaled=True)  # twice the limit passed: committed right after its ack
    wait_until(lambda: writer.commits == 1, what="the pending rows committed")
    assert {f"k{i}" for i in range(11)} <= _keys(data_dir)


def test_past_the_limit_the_pending_rows_are_committed_once_the_class_pauses(data_dir):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600, max_pending_rows=5, quiet_s=0.05)
    for i in range(6):
        writer.run(_answer(f"q{i}"), journaled=True)
    wait_until(lambda: writer.commits == 1, what="the pending rows committed once the class paused")
    assert {f"q{i}" for i in range(6)} <= _keys(data_dir)
