"""Sparing the SD card: the sync service keeps one connection, so idle passes against an
unreachable ENT neither create nor delete the WAL files in the data dir (each is a metadata
change, hence an ext4 journal commit, docs/performance.md issue 23)."""

from __future__ import annotations

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
