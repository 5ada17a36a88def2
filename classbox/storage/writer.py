"""Group commit: one writer runs every waiting write in one durable transaction, off the loop.

Under gevent the writer is a greenlet that hands the blocking steps of each batch (waiting for
the write lock, COMMIT and its fsync under `synchronous=FULL`) to the offload pool, so they
never stall the event loop; under threading (tests, tools) it is a plain thread. Callers block
(their greenlet or thread only) until their write is committed: an ack sent after `run()`
returns is durable. Each job runs in its own SAVEPOINT, so one bad job fails alone.

Items queued with `run_item(many, item)` that follow each other in a batch are handed to one
call `many(db, items)` (a class answering at once: one duplicate check, one multi-row insert),
which returns one outcome per item, a result or the exception refusing that item. If that call
raises, its work is rolled back and each item runs again alone, so one bad item still fails
alone.

A batch gathers for at most `gather_ms` after its first write, or until GATHER_MAX writes
wait (a class answering within seconds): one commit and one fsync for all of them, so the
WAL and the SD card receive each shared page once instead of once per answer. Every caller
still returns only after the commit holding its write.
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

from classbox.runtime.offload import off_loop
from classbox.storage import open_database
from classbox.storage.checkpoint import EVERY_S, WRITER_AUTOCHECKPOINT_PAGES, Checkpointer
from classbox.storage.db import BUSY_TIMEOUT_MS

log = logging.getLogger("classbox.storage.writer")
MAX_BATCH = 1000
GATHER_MAX = 60  # a full class: once this many writes wait, commit without waiting longer


class _Job:
    __slots__ = ("fn", "done", "result", "error", "many", "item")

    def __init__(self, fn: Callable[[sqlite_utils.Database], Any] | None, done: Any,
                 many: Callable[[sqlite_utils.Database, list], list] | None = None, item: Any = None) -> None:
        self.fn, self.done, self.result, self.error = fn, done, None, None
        self.many, self.item = many, item

    def run_alone(self, db: sqlite_utils.Database) -> Any:
        """This job's work on its own (an item: a call of `many` with it alone)."""
        if self.many is None:
            return self.fn(db)
        outcome = self.many(db, [self.item])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class GroupWriter:
    """The single writer of the classroom tables."""

    def __init__(self, data_dir: Path, async_mode: str = "threading", emulate_commit_ms: float = 0.0,
                 gather_ms: float = 0.0, gather_max: int = GATHER_MAX,
                 clock: Callable[[], float] = time.monotonic, checkpoint_every_s: float = EVERY_S) -> None:
        self.data_dir = Path(data_dir)
        self.async_mode = async_mode
        self.emulate_commit_s = emulate_commit_ms / 1000.0
        self.gather_s, self.gather_max, self.clock = gather_ms / 1000.0, gather_max, clock
        self.gathering = 0  # writes waiting in the batch being gathered (for tests)
        self.checkpoint_every_s = checkpoint_every_s
        self._db: sqlite_utils.Database | None = None
        self._started = False
        self._start_lock = threading.Lock()
        self.batches = 0
        self.checkpointer: Checkpointer | None = None  # made when the writer starts
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
            self._db.conn.execute(f"PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT_PAGES}")
            if self.async_mode == "gevent":
                import gevent

                self.checkpointer = Checkpointer(self.data_dir, gevent.spawn, off_loop, every_s=self.checkpoint_every_s)
                gevent.spawn(self._loop)
            else:
                self.checkpointer = Checkpointer(self.data_dir, _spawn_thread, off_loop,
                                                 every_s=self.checkpoint_every_s)
                threading.Thread(target=self._loop, name="classroom-writer", daemon=True).start()
            self._started = True

    def run(self, fn: Callable[[sqlite_utils.Database], Any]) -> Any:
        """Run fn(db) in the next group transaction; return its result once committed (or raise)."""
        return self.wait(self.queue(fn))

    def queue(self, fn: Callable[[sqlite_utils.Database], Any]) -> _Job:
        """Queue fn(db) without waiting (jobs run in the order they were queued)."""
        return self._put(_Job(fn, self._event()))

    def run_item(self, many: Callable[[sqlite_utils.Database, list], list], item: Any) -> Any:
        """Write one item with its neighbours in the batch: many(db, items); its outcome once committed."""
        return self.wait(self._put(_Job(None, self._event(), many, item)))

    def _put(self, job: _Job) -> _Job:
        if not self._started:
            self._start()
        self._queue.put(job)
        return job

    def wait(self, job: _Job) -> Any:
        """Wait until a queued job is committed; its result (or its error raised)."""
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _gather(self) -> list[_Job]:
        """The next batch: the first waiting write, then others for up to gather_s (or gather_max)."""
        batch = [self._queue.get()]
        deadline = self.clock() + self.gather_s
        while len(batch) < MAX_BATCH:
            self.gathering = len(batch)
            left = deadline - self.clock()
            try:
                if len(batch) >= self.gather_max or left <= 0:
                    batch.append(self._queue.get_nowait())  # what is already there
                else:
                    batch.append(self._queue.get(timeout=left))
            except queue.Empty:
                break
            except Exception:  # gevent.queue.Empty
                break
        self.gathering = 0
        return batch

    def _loop(self) -> None:
        while True:
            batch = self._gather()
            try:
                self._commit(batch)
            except BaseException as err:  # never leave a caller waiting
                for job in batch:
                    job.error = job.error or err
            self.batches += 1
            for job in batch:
                job.done.set()
            self.checkpointer.poke()

    def _commit(self, batch: list[_Job]) -> None:
        """One transaction for the whole batch, each job in a savepoint; fsynced at COMMIT.

        Taking the write lock and committing (the fsync) run off the loop; the jobs' statements
        run on it: they only touch SQLite's page cache, and running them there avoids fighting
        the loop for the GIL.
        """
        conn = self._db.conn
        self._begin()
        try:
            start = 0
            while start < len(batch):
                end = start + 1
                if batch[start].many is not None:
                    while end < len(batch) and batch[end].many == batch[start].many:
                        end += 1
                if end - start > 1:
                    self._run_group(batch[start:end])
                else:
                    self._run_alone(batch[start])
                start = end
            off_loop(self._finish)
        except BaseException as err:
            log.exception("group commit of %d jobs failed", len(batch))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for job in batch:
                job.error = job.error or err

    def _run_alone(self, job: _Job) -> None:
        conn = self._db.conn
        conn.execute("SAVEPOINT job")
        try:
            job.result = job.run_alone(self._db)
            conn.execute("RELEASE job")
        except Exception as err:
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            job.error = err

    def _run_group(self, group: list[_Job]) -> None:
        """Consecutive items of one `many` function in one call; each alone if that call fails."""
        conn = self._db.conn
        conn.execute("SAVEPOINT items")
        try:
            outcomes = group[0].many(self._db, [job.item for job in group])
            if len(outcomes) != len(group):
                raise RuntimeError(f"{len(outcomes)} outcomes for {len(group)} items")
            conn.execute("RELEASE items")
        except Exception:
            log.exception("a group of %d items failed; writing them one by one", len(group))
            conn.execute("ROLLBACK TO items")
            conn.execute("RELEASE items")
            for job in group:
                self._run_alone(job)
            return
        for job, outcome in zip(group, outcomes):
            if isinstance(outcome, BaseException):
                job.error = outcome
            else:
                job.result = outcome

    def _begin(self) -> None:
        """Take the write lock: at once on the loop when free, else wait for it off the loop."""
        try:
            self._db.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # another process (the agent) holds the lock
            off_loop(self._begin_waiting)

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


def _spawn_thread(fn: Callable[[], Any]) -> None:
    threading.Thread(target=fn, name="classroom-checkpoint", daemon=True).start()


def _real_sleep(seconds: float) -> None:
    """Sleep this OS thread (not a greenlet): emulates a slow SD-card fsync in benchmarks."""
    try:
        from gevent import monkey

        monkey.get_original("time", "sleep")(seconds)
    except ImportError:
        time.sleep(seconds)
