"""WAL checkpoints in the background, so that no pupil's ack waits for one.

SQLite copies the WAL into the database file (a checkpoint: page writes and an fsync of the
database file) inside the COMMIT that makes the WAL pass 1,000 pages. The classroom writer
commits most, so a class answering at once would now and then wait for a checkpoint on top of
its own fsync; on an SD card that costs from tens of milliseconds to seconds. The writer's own
threshold is raised to a safety net and this object runs PASSIVE checkpoints on its own
connection, off the loop, after commits: WAL mode lets a checkpoint run while the writer keeps
appending, and every acked answer is already durable in the fsynced WAL.

At most one an hour (EVERY_S), for the SD card: each checkpoint writes the pages a class rewrites
(the tables' last leaves, their indexes) into the database file and forces an ext4 commit (the
file's sync), so a class's few commits share one checkpoint instead of each having its own (was
every 300 s: docs/performance.md, issue 23, ninth pass). Sooner when the WAL file passes
WAL_LIMIT_BYTES (a big import, a busy day): the WAL stays bounded, as `journal_size_limit`
(storage/db.py) truncates it back to that size when it starts again. Every acked answer is durable
in the fsynced WAL meanwhile; readers find its pages through the WAL index. No checkpoint runs
without a commit before it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

from classbox.storage import open_database
from classbox.storage.db import WAL_LIMIT_BYTES, db_path

log = logging.getLogger("classbox.storage.writer")
EVERY_S = 3600.0
WRITER_AUTOCHECKPOINT_PAGES = 10_000  # the writer checkpoints itself only if these fall far behind


class Checkpointer:
    """Copies committed WAL frames into the database file, off the writer's commit path."""

    def __init__(self, data_dir: Path, spawn: Callable[..., Any], offload: Callable[..., Any],
                 clock: Callable[[], float] = time.monotonic, every_s: float = EVERY_S) -> None:
        self.data_dir = Path(data_dir)
        self._wal = db_path(self.data_dir).with_name(db_path(self.data_dir).name + "-wal")
        self._spawn, self._offload, self.clock, self.every_s = spawn, offload, clock, every_s
        self._db = None
        self._running = self._closed = False
        self._lock = threading.Condition()
        self._last = float("-inf")
        self.runs = 0
        self.last_result: tuple[int, int, int] | None = None  # (busy, WAL frames, frames checkpointed)

    def poke(self) -> None:
        """After a commit: start a checkpoint unless one is running, or one ran less than every_s ago
        and the WAL is within its size."""
        with self._lock:
            if self._closed or self._running:
                return
            if self.clock() - self._last < self.every_s and not self._wal_full():
                return
            self._running = True
        self._spawn(self._run)

    def _wal_full(self) -> bool:
        """The WAL file passed WAL_LIMIT_BYTES (one stat: no SQLite call on the commit path)."""
        try:
            return os.stat(self._wal).st_size > WAL_LIMIT_BYTES
        except FileNotFoundError:
            return False

    def close(self, wait_s: float = 30.0) -> None:
        """No checkpoint after this; the connection closed once the running one is done."""
        with self._lock:
            self._closed = True
            if self._lock.wait_for(lambda: not self._running, wait_s):
                self._close_db()  # else the running checkpoint closes it when done

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.conn.close()
            self._db = None

    def _run(self) -> None:
        try:
            self.last_result = self._offload(self._checkpoint)
            self.runs += 1
        except Exception:  # the next commit tries again; the writer's own threshold is the net
            log.exception("background WAL checkpoint failed")
        finally:
            with self._lock:
                self._last = self.clock()
                self._running = False
                if self._closed:
                    self._close_db()
                self._lock.notify_all()

    def _checkpoint(self) -> tuple[int, int, int]:
        if self._db is None:
            self._db = open_database(self.data_dir, durable=True)
        return tuple(self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
