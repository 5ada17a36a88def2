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

With the answer journal on (`journal=True`), a batch made only of journaled jobs (answers, joins:
jobs whose whole effect is rows they insert, noted with `journal.note`) is not committed: its
rows are appended to the journal and fsynced (storage/journal.py), the transaction is rolled
back, and the callers are acked. The rows pending so far are inserted again at the start of
every later transaction (so jobs see them), and committed with the journal's marker by the next
other write, after `settle_s` without a write, or `max_pending_s` after the first of them.
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
from classbox.storage import journal as answer_journal
from classbox.storage import open_database
from classbox.storage.checkpoint import EVERY_S, WRITER_AUTOCHECKPOINT_PAGES, Checkpointer
from classbox.storage.db import BUSY_TIMEOUT_MS

log = logging.getLogger("classbox.storage.writer")
MAX_BATCH = 1000
GATHER_MAX = 60  # a full class: once this many writes wait, commit without waiting longer


SETTLE_S = 3.0  # journaled rows are committed once no write came for this long…
MAX_PENDING_S = 30.0  # …or this long after the first of them


class _Job:
    __slots__ = ("fn", "done", "result", "error", "many", "item", "journaled", "rows")

    def __init__(self, fn: Callable[[sqlite_utils.Database], Any] | None, done: Any,
                 many: Callable[[sqlite_utils.Database, list], list] | None = None, item: Any = None,
                 journaled: bool = False) -> None:
        self.fn, self.done, self.result, self.error = fn, done, None, None
        self.many, self.item, self.journaled = many, item, journaled
        self.rows: list = []  # rows it inserted (journaled jobs)

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
                 clock: Callable[[], float] = time.monotonic, checkpoint_every_s: float = EVERY_S,
                 journal: bool = False, settle_s: float = SETTLE_S, max_pending_s: float = MAX_PENDING_S) -> None:
        self.data_dir = Path(data_dir)
        self.async_mode = async_mode
        self.emulate_commit_s = emulate_commit_ms / 1000.0
        self.gather_s, self.gather_max, self.clock = gather_ms / 1000.0, gather_max, clock
        self.gathering = 0  # writes waiting in the batch being gathered (for tests)
        self.checkpoint_every_s = checkpoint_every_s
        self.use_journal, self.settle_s, self.max_pending_s = journal, settle_s, max_pending_s
        self.journal: answer_journal.Journal | None = None
        self.pending: list = []  # journal records acked but not yet committed in SQLite
        self._pending_since = self._last_write = 0.0
        self.commits = 0
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
            if self.use_journal:
                self.journal = answer_journal.Journal(self.data_dir)
                off_loop(self._recover)
            if self.async_mode == "gevent":
                import gevent

                self.checkpointer = Checkpointer(self.data_dir, gevent.spawn, off_loop, every_s=self.checkpoint_every_s)
                gevent.spawn(self._loop)
            else:
                self.checkpointer = Checkpointer(self.data_dir, _spawn_thread, off_loop,
                                                 every_s=self.checkpoint_every_s)
                threading.Thread(target=self._loop, name="classroom-writer", daemon=True).start()
            self._started = True

    def run(self, fn: Callable[[sqlite_utils.Database], Any], journaled: bool = False) -> Any:
        """Run fn(db) in the next group transaction; return its result once durable (or raise).

        journaled=True: fn's only writes are inserts it notes (journal.note); they may be made
        durable by the journal and committed later."""
        return self.wait(self._put(_Job(fn, self._event(), journaled=journaled)))

    def queue(self, fn: Callable[[sqlite_utils.Database], Any]) -> _Job:
        """Queue fn(db) without waiting (jobs run in the order they were queued)."""
        return self._put(_Job(fn, self._event()))

    def run_item(self, many: Callable[[sqlite_utils.Database, list], list], item: Any,
                 journaled: bool = False) -> Any:
        """Write one item with its neighbours in the batch: many(db, items); its outcome once durable."""
        return self.wait(self._put(_Job(None, self._event(), many, item, journaled)))

    def settle(self) -> None:
        """Commit the journaled rows still pending, so that other connections read them."""
        if self.pending:
            self.run(lambda db: None)

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
        """The next batch: the first waiting write, then others for up to gather_s (or gather_max).

        Empty when journaled rows are pending and no write came before their commit is due."""
        if self.pending:
            due = min(self._last_write + self.settle_s, self._pending_since + self.max_pending_s)
            try:
                batch = [self._queue.get(timeout=max(0.0, due - self.clock()))]
            except Exception:  # queue.Empty, gevent.queue.Empty
                return []
        else:
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
            if not batch:
                self._flush()
                continue
            self._last_write = self.clock()
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
        the loop for the GIL. A batch of journaled jobs is made durable by the journal instead.
        """
        conn = self._db.conn
        self._begin()
        try:
            if self.pending:
                answer_journal.apply(self._db, self.pending)
            rows: list = []
            start = 0
            while start < len(batch):
                end = start + 1
                if batch[start].many is not None:
                    while end < len(batch) and batch[end].many == batch[start].many:
                        end += 1
                if end - start > 1:
                    rows += self._run_group(batch[start:end])
                else:
                    rows += self._run_alone(batch[start])
                start = end
            record = self._journal_record(batch, rows)
            if record is not None:
                conn.execute("ROLLBACK")
                if rows:
                    off_loop(self.journal.append, record)
                    if not self.pending:
                        self._pending_since = self.clock()
                    self.pending.append(rows)
                return
            self._commit_pending()
        except BaseException as err:
            log.exception("group commit of %d jobs failed", len(batch))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for job in batch:
                job.error = job.error or err

    def _journal_record(self, batch: list[_Job], rows: list) -> bytes | None:
        """The journal record for this batch if it may skip the commit, else None."""
        if self.journal is None or not all(job.journaled for job in batch):
            return None
        record = self.journal.encode(rows)
        return record if self.journal.place(len(record)) is not None else None

    def _commit_pending(self) -> None:
        """COMMIT the open transaction with the journal's marker: pending rows are in SQLite now."""
        epoch = answer_journal.new_epoch()
        if self.journal is not None:
            answer_journal.write_marker(self._db, epoch, 0)
        off_loop(self._finish)
        self.commits += 1
        if self.journal is not None:
            self.journal.restart(epoch)
            self.pending = []

    def _flush(self) -> None:
        """Commit the pending journaled rows on their own (no write came for a while)."""
        try:
            self._begin()
            answer_journal.apply(self._db, self.pending)
            self._commit_pending()
        except BaseException:  # they stay pending (and in the journal); the next write tries again
            log.exception("commit of %d journaled batches failed", len(self.pending))
            if self._db.conn.in_transaction:
                self._db.conn.execute("ROLLBACK")
            self._last_write = self._pending_since = self.clock()
        self.checkpointer.poke()

    def _recover(self) -> None:
        """At start: commit the journal's records that SQLite does not hold (a power cut, a kill)."""
        self._db.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            answer_journal.recover(self._db, self.journal)
        finally:
            self._db.conn.execute("PRAGMA busy_timeout = 0")

    def _run_alone(self, job: _Job) -> list:
        conn = self._db.conn
        conn.execute("SAVEPOINT job")
        self._db.journal_capture = rows = []
        try:
            job.result = job.run_alone(self._db)
            conn.execute("RELEASE job")
            return rows
        except Exception as err:
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            job.error = err
            return []
        finally:
            self._db.journal_capture = None

    def _run_group(self, group: list[_Job]) -> list:
        """Consecutive items of one `many` function in one call; each alone if that call fails."""
        conn = self._db.conn
        conn.execute("SAVEPOINT items")
        self._db.journal_capture = rows = []
        try:
            outcomes = group[0].many(self._db, [job.item for job in group])
            if len(outcomes) != len(group):
                raise RuntimeError(f"{len(outcomes)} outcomes for {len(group)} items")
            conn.execute("RELEASE items")
        except Exception:
            log.exception("a group of %d items failed; writing them one by one", len(group))
            conn.execute("ROLLBACK TO items")
            conn.execute("RELEASE items")
            self._db.journal_capture = None
            return [row for job in group for row in self._run_alone(job)]
        finally:
            self._db.journal_capture = None
        for job, outcome in zip(group, outcomes):
            if isinstance(outcome, BaseException):
                job.error = outcome
            else:
                job.result = outcome
        return rows

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
