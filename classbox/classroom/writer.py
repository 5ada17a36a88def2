"""Group commit: one writer runs every waiting write in one durable transaction, off the loop.

Under gevent the writer is a greenlet that hands the blocking steps of each batch (waiting for
the write lock, COMMIT and its fsync under `synchronous=FULL`) to gevent's threadpool, so they
never stall the event loop; under threading (tests, tools) it is a plain thread. Callers block (their greenlet or thread only) until their write is committed:
an ack sent after `run()` returns is durable. Each job runs in its own SAVEPOINT, so one bad
job fails alone.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable

import sqlite_utils

from classbox.storage import open_database
from classbox.storage.db import BUSY_TIMEOUT_MS

log = logging.getLogger("classbox.classroom.writer")
MAX_BATCH = 1000


class _Job:
    __slots__ = ("fn", "done", "result", "error")

    def __init__(self, fn: Callable[[sqlite_utils.Database], Any], done: Any) -> None:
        self.fn, self.done, self.result, self.error = fn, done, None, None


class GroupWriter:
    """The single writer of the classroom tables."""

    def __init__(self, data_dir: Path, async_mode: str = "threading", emulate_commit_ms: float = 0.0) -> None:
        self.data_dir = Path(data_dir)
        self.async_mode = async_mode
        self.emulate_commit_s = emulate_commit_ms / 1000.0
        self._db: sqlite_utils.Database | None = None
        self._started = False
        self._start_lock = threading.Lock()
        self.batches = 0
        if async_mode == "gevent":
            import gevent.event
            import gevent.queue

            self._queue = gevent.queue.Queue()
            self._event = gevent.event.Event
        else:
            self._queue = queue.Queue()
            self._event = threading.Event

    def _start(self) -> None:
        with self._start_lock:
            if self._started:
                return
            self._db = open_database(self.data_dir, durable=True)
            self._db.conn.isolation_level = None  # transactions are ours: BEGIN IMMEDIATE … COMMIT
            self._db.conn.execute("PRAGMA busy_timeout = 0")  # never wait for a lock on the loop
            if self.async_mode == "gevent":
                import gevent

                gevent.spawn(self._loop)
            else:
                threading.Thread(target=self._loop, name="classroom-writer", daemon=True).start()
            self._started = True

    def run(self, fn: Callable[[sqlite_utils.Database], Any]) -> Any:
        """Run fn(db) in the next group transaction; return its result once committed (or raise)."""
        return self.wait(self.queue(fn))

    def queue(self, fn: Callable[[sqlite_utils.Database], Any]) -> _Job:
        """Queue fn(db) without waiting (jobs run in the order they were queued)."""
        if not self._started:
            self._start()
        job = _Job(fn, self._event())
        self._queue.put(job)
        return job

    def wait(self, job: _Job) -> Any:
        """Wait until a queued job is committed; its result (or its error raised)."""
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
                except Exception:  # gevent.queue.Empty
                    break
            try:
                self._commit(batch)
            except BaseException as err:  # never leave a caller waiting
                for job in batch:
                    job.error = job.error or err
            self.batches += 1
            for job in batch:
                job.done.set()

    def _offload(self, fn: Callable, *args: Any) -> Any:
        """Run blocking I/O (lock waits, fsync) off the event loop under gevent."""
        if self.async_mode == "gevent":
            import gevent

            return gevent.get_hub().threadpool.apply(fn, args)
        return fn(*args)

    def _commit(self, batch: list[_Job]) -> None:
        """One transaction for the whole batch, each job in a savepoint; fsynced at COMMIT.

        Taking the write lock and committing (the fsync) run off the loop; the jobs' statements
        run on it: they only touch SQLite's page cache, and running them there avoids fighting
        the loop for the GIL.
        """
        conn = self._db.conn
        self._begin()
        try:
            for job in batch:
                conn.execute("SAVEPOINT job")
                try:
                    job.result = job.fn(self._db)
                    conn.execute("RELEASE job")
                except Exception as err:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    job.error = err
            self._offload(self._finish)
        except BaseException as err:
            log.exception("group commit of %d jobs failed", len(batch))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for job in batch:
                job.error = job.error or err

    def _begin(self) -> None:
        """Take the write lock: at once on the loop when free, else wait for it off the loop."""
        try:
            self._db.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # another process (the agent) holds the lock
            self._offload(self._begin_waiting)

    def _begin_waiting(self) -> None:
        conn = self._db.conn
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            conn.execute("BEGIN IMMEDIATE")
        finally:
            conn.execute("PRAGMA busy_timeout = 0")

    def _finish(self) -> None:
        self._db.conn.execute("COMMIT")
        if self.emulate_commit_s:
            _real_sleep(self.emulate_commit_s)


def _real_sleep(seconds: float) -> None:
    """Sleep this OS thread (not a greenlet): emulates a slow SD-card fsync in benchmarks."""
    try:
        from gevent import monkey

        monkey.get_original("time", "sleep")(seconds)
    except ImportError:
        time.sleep(seconds)
