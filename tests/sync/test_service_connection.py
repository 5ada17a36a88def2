"""Sparing the SD card: the sync service keeps one connection, so idle passes against an
unreachable ENT neither create nor delete the WAL files in the data dir (each is a metadata
change, hence an ext4 journal commit, docs/performance.md issue 23)."""

from __future__ import annotations

import os
import sys
import threading

from classbox.storage import open_database
from classbox.sync.runner import SyncService
from tests.sync.conftest import enqueue_answers
from tests.sync.test_idle_pass import unreachable_lrs

_connects: list[str] = []
_watching = threading.Event()


def _audit(event: str, args: tuple) -> None:
    if event == "sqlite3.connect" and _watching.is_set():
        _connects.append(str(args[0]))


sys.addaudithook(_audit)  # cannot be removed: inert unless a test sets _watching


class CountingStop(threading.Event):
    """The agent's stop event: each wait between two passes is instant, and notes which files the
    data dir holds at that moment; set after `passes` waits."""

    def __init__(self, data_dir, passes: int) -> None:
        super().__init__()
        self.data_dir, self.left, self.seen = data_dir, passes, []

    def wait(self, timeout: float | None = None) -> bool:
        self.seen.append(sorted(p.name for p in self.data_dir.iterdir() if p.name.startswith("classbox.db")))
        self.left -= 1
        if self.left <= 0:
            self.set()
        return self.is_set()


def test_idle_passes_against_an_unreachable_ent_keep_one_connection_and_the_wal_files(tmp_path):
    config = unreachable_lrs(tmp_path, **{"sync.retry_base_s": 3600.0})
    db = open_database(config.data_dir)
    enqueue_answers(db, 5)
    db.conn.close()  # the web is idle: no other connection keeps the WAL files alive
    stop = CountingStop(config.data_dir, passes=6)
    _connects.clear()
    _watching.set()
    try:
        SyncService(config).run(stop)
    finally:
        _watching.clear()
    assert len(_connects) == 1, f"the sync service connected {len(_connects)} times in 6 passes"
    assert {"classbox.db-wal", "classbox.db-shm"} <= set(stop.seen[0])
    assert stop.seen == [stop.seen[0]] * 6, "the WAL files were deleted and re-created between passes"
    assert not (config.data_dir / "classbox.db-wal").exists(), "the connection was left open at stop"


class ReplacingStop(threading.Event):
    """Stops after two passes; between them, puts another database in place of the data dir's."""

    def __init__(self, data_dir, replacement) -> None:
        super().__init__()
        self.data_dir, self.replacement, self.waits = data_dir, replacement, 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        if self.waits == 1:
            os.replace(self.replacement, self.data_dir / "classbox.db")
        else:
            self.set()
        return self.is_set()


def test_a_database_put_in_place_between_two_passes_is_the_one_the_next_pass_sends(tmp_path):
    """A technician restores classbox.db under a running agent: the kept connection is not stuck
    on the old file, the restored records go out (here: tried once against the unreachable ENT)."""
    config = unreachable_lrs(tmp_path, **{"sync.retry_base_s": 3600.0})
    open_database(config.data_dir).conn.close()
    (tmp_path / "restored").mkdir()
    other = unreachable_lrs(tmp_path / "restored")
    restored = open_database(other.data_dir)
    enqueue_answers(restored, 3)
    restored.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    restored.conn.close()
    SyncService(config).run(ReplacingStop(config.data_dir, other.data_dir / "classbox.db"))
    db = open_database(config.data_dir)
    rows = db.execute("SELECT state, attempts FROM outbox ORDER BY seq").fetchall()
    assert rows == [("pending", 1), ("pending", 0), ("pending", 0)]  # tried as a batch; its head holds the retry
    db.conn.close()
