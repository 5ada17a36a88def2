"""The answer journal: acks durable by one fsynced append, rows committed later, replayed after a cut."""

from __future__ import annotations

import os
import shutil
import threading

import pytest

from classbox.storage import journal as answer_journal
from classbox.storage import open_database
from classbox.storage.writer import GroupWriter
from classbox.sync.outbox import enqueue
from classbox.web.datadir import prepare_data_dir
from tests.helpers import wait_until
from tests.storage.journal_scan import records_in, text_of


@pytest.fixture
def data_dir(config):
    prepare_data_dir(config).conn.close()
    return config.data_dir


def _answer(key: str):
    """A journaled writer job: what an answer writes for the ENT (one outbox row)."""
    return lambda db: enqueue(db, "xapi", "lrs", {"event": "answered", "n": key}, key, "pupil-1")


def _keys(data_dir) -> set[str]:
    """Idempotency keys of the outbox, as another connection (the agent, an export) reads them."""
    db = open_database(data_dir)
    try:
        return {row[0] for row in db.execute("SELECT idempotency_key FROM outbox")}
    finally:
        db.conn.close()


def _power_cut(data_dir, into):
    """What a power cut right now leaves: the files as they are (every ack was fsynced before it)."""
    into.mkdir()
    for name in ("classbox.db", "classbox.db-wal", answer_journal.FILENAME):
        if (data_dir / name).exists():
            shutil.copyfile(data_dir / name, into / name)
    return into


def test_a_burst_of_answers_is_acked_by_journal_appends_and_committed_once(data_dir):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    keys = [f"k{i}" for i in range(30)]
    for key in keys:
        writer.run(_answer(key), journaled=True)
    assert writer.commits == 0  # no answer made a commit of its own
    assert not set(keys) & _keys(data_dir)  # acked, durable in the journal, not yet in SQLite
    writer.settle()
    assert writer.commits == 1 and set(keys) <= _keys(data_dir)


def test_each_ack_waits_for_the_fdatasync_of_its_journal_record(data_dir, monkeypatch):
    synced: list[int] = []
    real = os.fdatasync
    monkeypatch.setattr(answer_journal.os, "fdatasync", lambda fd: (real(fd), synced.append(fd)))
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    for n, key in enumerate(["a", "b", "c"], start=1):
        writer.run(_answer(key), journaled=True)
        assert len(synced) == n  # returned (acked) only after its own fdatasync


def test_answers_acked_before_a_power_cut_are_in_the_database_after_the_restart(data_dir, tmp_path):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    for key in ["early1", "early2"]:
        writer.run(_answer(key), journaled=True)
    writer.settle()
    for key in ["late1", "late2", "late3"]:
        writer.run(_answer(key), journaled=True)
    cut = _power_cut(data_dir, tmp_path / "cut")
    assert _keys(cut) == {"early1", "early2"}  # SQLite alone lost the last three
    assert answer_journal.recover_data_dir(cut) == (3, 0)
    assert _keys(cut) >= {"early1", "early2", "late1", "late2", "late3"}
    assert answer_journal.recover_data_dir(cut) == (0, 0)  # nothing applied twice
    db = open_database(cut)
    try:
        assert db.execute("SELECT COUNT(*) FROM outbox WHERE idempotency_key LIKE 'late%'").fetchone()[0] == 3
    finally:
        db.conn.close()


def test_a_record_torn_by_the_cut_is_ignored_and_the_ones_before_it_kept(data_dir, tmp_path):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_answer("whole"), journaled=True)
    end = writer.journal.offset
    writer.run(_answer("torn"), journaled=True)  # never acked in this story: the cut tears it
    cut = _power_cut(data_dir, tmp_path / "cut")
    with open(cut / answer_journal.FILENAME, "r+b") as handle:
        handle.seek(writer.journal.offset - 3)
        handle.write(b"\0\0\0")
    assert answer_journal.recover_data_dir(cut) == (1, 0)
    assert "whole" in _keys(cut) and "torn" not in _keys(cut)
    assert end > 0


def test_records_already_committed_are_not_replayed_from_an_older_journal(data_dir, tmp_path):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_answer("once"), journaled=True)
    writer.settle()  # committed: the journal starts again under a new epoch
    db = open_database(data_dir)
    try:
        db.execute("DELETE FROM outbox WHERE idempotency_key = 'once'")  # e.g. delivered and pruned
        db.conn.commit()
    finally:
        db.conn.close()
    cut = _power_cut(data_dir, tmp_path / "cut")
    assert answer_journal.recover_data_dir(cut) == (0, 0) and "once" not in _keys(cut)


def test_a_write_that_is_not_journaled_commits_the_pending_answers_with_it(data_dir):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_answer("pending"), journaled=True)
    writer.run(lambda db: db.execute("INSERT INTO box_state (key, value) VALUES ('x', '1')"))
    assert "pending" in _keys(data_dir) and not writer.pending


def test_pending_answers_are_committed_once_the_class_goes_quiet(data_dir):
    writer = GroupWriter(data_dir, journal=True, settle_s=0.05, max_pending_s=3600)
    writer.run(_answer("quiet"), journaled=True)
    # the writer's thread commits, then forgets the row: wait for both, not just the first
    wait_until(lambda: "quiet" in _keys(data_dir) and not writer.pending, what="the pending answer committed")


def test_a_burst_too_big_for_the_journal_is_committed_at_once(data_dir, monkeypatch):
    monkeypatch.setattr(answer_journal, "SIZE", 8192)
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    big = os.urandom(10_000).hex()  # 20 KB, random (≈ 11 KB deflated): more than the whole journal
    writer.run(lambda db: enqueue(db, "xapi", "lrs", {"big": big}, "big", None), journaled=True)
    assert "big" in _keys(data_dir) and not writer.pending


def test_a_second_process_on_the_same_data_dir_commits_each_write_itself(data_dir):
    first = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    first.run(_answer("first"), journaled=True)
    second = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)  # e.g. a 2nd worker
    second.run(_answer("second"), journaled=True)
    assert second.journal is None and "second" in _keys(data_dir)
    assert answer_journal.recover_data_dir(data_dir) == (0, 0)  # the owner's pending rows left alone
    first.settle()
    assert "first" in _keys(data_dir)


def _named(name: str):
    """A journaled writer job holding a pupil's first name (as a join or an answer does)."""
    return lambda db: enqueue(db, "xapi", "lrs", {"event": "answered", "actor": name}, name, "pupil-1")


def test_a_committed_pupils_name_does_not_stay_in_the_journal_file(data_dir, monkeypatch):
    """RGPD: once committed (then erasable in SQLite), the journal's bytes of a record are zeroed and synced."""
    synced_after_zeroing: list[bool] = []
    real_pwrite, real_sync = os.pwrite, os.fdatasync
    zeroed = []
    monkeypatch.setattr(answer_journal.os, "pwrite",
                        lambda fd, data, offset: (zeroed.append(not any(data)), real_pwrite(fd, data, offset))[1])
    monkeypatch.setattr(answer_journal.os, "fdatasync",
                        lambda fd: (real_sync(fd), synced_after_zeroing.append(bool(zeroed) and zeroed[-1])))
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_named("Zoé Martin et sa réponse"), journaled=True)
    writer.run(_named("Léo Dupont"), journaled=True)
    journal_file = data_dir / answer_journal.FILENAME
    assert "Zoé Martin" in text_of(journal_file)  # acked: durable in the journal alone
    writer.settle()
    assert "Zoé Martin" not in text_of(journal_file) and "Dupont" not in text_of(journal_file)
    assert synced_after_zeroing[-1] is True, "the zeros are fdatasynced"
    writer.run(_named("Ana"), journaled=True)  # a smaller burst after the commit
    writer.settle()
    assert "Zoé" not in text_of(journal_file) and "Ana" not in text_of(journal_file)


def test_a_journal_recovered_at_start_keeps_no_name(data_dir, tmp_path):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_named("Zoé Martin"), journaled=True)
    cut = _power_cut(data_dir, tmp_path / "cut")
    assert answer_journal.recover_data_dir(cut) == (1, 0) and "Zoé Martin" in _keys(cut)
    assert "Zoé" not in text_of(cut / answer_journal.FILENAME)


def test_a_damaged_record_does_not_lose_the_acked_records_of_the_blocks_after_it(data_dir, tmp_path, caplog):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    for key in ["before", "damaged", "after1", "after2"]:  # about 2.5 KB each: one record per 4 KB block
        pad = os.urandom(2500).hex()  # random: deflate does not shrink it below a block's half
        writer.run(lambda db, key=key, pad=pad: enqueue(db, "xapi", "lrs", {"n": key, "pad": pad}, key, "pupil-1"),
                   journaled=True)
    cut = _power_cut(data_dir, tmp_path / "cut")
    offsets = [offset for offset, _ in records_in(cut / answer_journal.FILENAME)]
    assert offsets == [0, 4096, 8192, 12288]
    second = offsets[1] + 100  # inside the second record's payload
    with open(cut / answer_journal.FILENAME, "r+b") as handle:
        handle.seek(second)
        handle.write(b"\xff\xff")
    with caplog.at_level("ERROR", logger="classbox.storage.journal"):
        assert answer_journal.recover_data_dir(cut) == (3, 0)
    assert {"before", "after1", "after2"} <= _keys(cut) and "damaged" not in _keys(cut)
    assert any("damaged" in r.getMessage() for r in caplog.records), "the gap is logged loudly"


def test_updates_by_key_are_replayed_after_a_power_cut(data_dir, tmp_path):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(lambda db: db.execute("INSERT INTO sequence (name, value) VALUES ('x', 1)"))  # committed

    def bump(db):
        db.execute("UPDATE sequence SET value = 7 WHERE name = 'x'")
        answer_journal.note(db, "classroom_sessions", ("title",), [], key="id")  # nothing: not noted
        answer_journal.note(db, "sequence", ("value",), [(7, "x")], key="name")  # not a journal table

    writer.run(bump, journaled=True)
    cut = _power_cut(data_dir, tmp_path / "cut")
    assert answer_journal.recover_data_dir(cut) == (1, 0)
    db = open_database(cut)
    try:  # a table outside the journal's list is never written by a replay
        assert db.execute("SELECT value FROM sequence WHERE name = 'x'").fetchone()[0] == 1
    finally:
        db.conn.close()


def test_answers_arriving_together_share_one_journal_fsync(data_dir, monkeypatch):
    synced: list[int] = []
    real = os.fdatasync
    monkeypatch.setattr(answer_journal.os, "fdatasync", lambda fd: (real(fd), synced.append(fd)))
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    busy, gate = threading.Event(), threading.Event()
    writer.queue(lambda db: (busy.set(), gate.wait(60)) and None)  # the writer is busy with another write
    assert busy.wait(30)
    jobs = [writer.queue(_answer(f"k{i}"), journaled=True) for i in range(30)]  # a class answering meanwhile
    before = len(synced)
    gate.set()
    for job in jobs:
        writer.wait(job)
    assert len(synced) - before == 1 and writer.commits == 1  # one append for the 30, after the other write's commit
    writer.settle()
    assert {f"k{i}" for i in range(30)} <= _keys(data_dir)


def test_when_the_journal_is_full_the_pending_answers_are_committed_with_the_batch(data_dir, monkeypatch):
    monkeypatch.setattr(answer_journal, "SIZE", 16384)
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_answer("small"), journaled=True)
    big = os.urandom(15_000).hex()  # 30 KB, random (≈ 16 KB deflated): no room left for it
    writer.run(lambda db: enqueue(db, "xapi", "lrs", {"big": big}, "big", None), journaled=True)
    assert {"small", "big"} <= _keys(data_dir) and not writer.pending


def test_once_an_answer_is_acked_other_connections_can_write_at_once(data_dir):
    """No write lock is held between batches: a web request writing on the event loop must never find it taken
    (SQLite's busy wait would block the loop, and with it the writer that could let the lock go)."""
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    other = open_database(data_dir)
    other.conn.isolation_level = None
    other.conn.execute("PRAGMA busy_timeout = 0")
    try:
        for key in ["a", "b", "c"]:
            writer.run(_answer(key), journaled=True)
            other.conn.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the writer kept it
            other.conn.execute("INSERT OR REPLACE INTO box_state (key, value) VALUES ('teacher', ?)", [key])
            other.conn.execute("COMMIT")
    finally:
        other.conn.close()
    writer.settle()
    assert {"a", "b", "c"} <= _keys(data_dir)


def test_an_answer_refused_by_the_journal_leaves_the_earlier_acks_intact(data_dir, monkeypatch):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_answer("a"), journaled=True)
    real = writer.journal.append

    def full(record):
        raise OSError("no space left on device")

    monkeypatch.setattr(writer.journal, "append", full)
    with pytest.raises(OSError):
        writer.run(_answer("b"), journaled=True)
    monkeypatch.setattr(writer.journal, "append", real)
    writer.run(_answer("c"), journaled=True)
    writer.settle()
    assert {"a", "c"} <= _keys(data_dir) and "b" not in _keys(data_dir)
