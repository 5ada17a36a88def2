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

With the answer journal on (`journal=True`), a batch made only of journaled jobs (answers, joins,
pushes: jobs whose whole effect is rows they insert or update by key, noted with `journal.note`) is not committed: its
rows are appended to the journal and fsynced (storage/journal.py), the transaction is rolled
back, and the callers are acked. The rows pending so far are inserted again at the start of
every later transaction (so jobs see them), and committed with the journal's marker by the next
other write, after `settle_s` without a write, `max_pending_s` after the first of them, past
`max_pending_rows` at the first `quiet_s` without a write (the class's next answers do not queue
behind that commit), and right after the acks of the batch that took them past twice that (or the
journal past half full): an ack waits for its own journal record, never for the commit of the rows
acked before it. Journaled jobs waiting together share one append and one `fdatasync`.
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
from classbox.storage.writer_steps import CloseSteps, Job, JobSteps, JournalSteps, closing

log = logging.getLogger("classbox.storage.writer")
MAX_BATCH = 1000
GATHER_MAX = 60  # a full class: once this many writes wait, commit without waiting longer
SETTLE_S = 150.0  # journaled rows are committed once no write came for this long (longer than the
MAX_PENDING_S = 1200.0  # gap between two questions), or this long after the first of them: one commit
# for many questions' answers (a class's: about 400 rows, or when a page reads them), each shared page
# and its checkpoint written once, not every 5 minutes (docs/performance.md, issue 23)
MAX_PENDING_ROWS = 400  # more are committed at the first quiet moment (every batch inserts them again first)
QUIET_S = 0.3  # a quiet moment: no write for this long (a class between two questions); at twice the limit, at once


class GroupWriter(JournalSteps, JobSteps, CloseSteps):
    """The single writer of the classroom tables."""

    def __init__(self, data_dir: Path, async_mode: str = "threading", emulate_commit_ms: float = 0.0,
                 gather_ms: float = 0.0, gather_max: int = GATHER_MAX,
                 clock: Callable[[], float] = time.monotonic, checkpoint_every_s: float = EVERY_S,
                 journal: bool = False, settle_s: float = SETTLE_S, max_pending_s: float = MAX_PENDING_S,
                 max_pending_rows: int = MAX_PENDING_ROWS, quiet_s: float = QUIET_S,
                 journal_slot: int | None = None) -> None:
        """`journal_slot`: this web worker's slot (runtime/sticky.py), its journal file (None: the only writer)."""
        self.data_dir = Path(data_dir)
        self.async_mode = async_mode
        self.emulate_commit_s = emulate_commit_ms / 1000.0
        self.gather_s, self.gather_max, self.clock = gather_ms / 1000.0, gather_max, clock
        self.gathering = 0  # writes waiting in the batch being gathered (for tests)
        self.checkpoint_every_s = checkpoint_every_s
        self.use_journal, self.settle_s, self.max_pending_s = journal, settle_s, max_pending_s
        self.max_pending_rows, self.quiet_s = max_pending_rows, quiet_s
        self.journal: answer_journal.Journal | None = None
        self.journal_name = answer_journal.filename(journal_slot)
        self.pending: list = []  # journal records acked but not yet committed in SQLite
        self.pending_rows = 0
        self.journaling = False  # a batch decided lazy is being journaled (its rows not yet in `pending`)
        self.settle_others: Callable[[], Any] | None = None  # several workers: ask theirs to commit too
        self.lazy_while: Callable[[], bool] = lambda: True  # False: each journaled write commits before its ack
        self._pending_since = self._last_write = 0.0
        self.commits = 0
        self._db: sqlite_utils.Database | None = None
        self._started = self._closed = False
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
            if self._closed:
                raise RuntimeError("the classroom writer is closed")
            self._db = open_database(self.data_dir, durable=True)
            self._db.conn.isolation_level = None  # transactions are ours: BEGIN IMMEDIATE … COMMIT
            self._db.conn.execute("PRAGMA busy_timeout = 0")  # never wait for a lock on the loop
            self._db.conn.execute(f"PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT_PAGES}")
            if self.use_journal:
                try:
                    self.journal = answer_journal.open_waiting(self.data_dir, self.journal_name)
                    off_loop(self._recover)
                except answer_journal.JournalBusy as err:  # each write commits, as without the journal
                    log.warning("answer journal off in this process: %s", err)
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

        journaled=True: fn's only writes are the inserts and updates it notes (journal.note); they
        may be made durable by the journal and committed later."""
        return self.wait(self._put(Job(fn, self._event(), journaled=journaled)))

    def queue(self, fn: Callable[[sqlite_utils.Database], Any], journaled: bool = False) -> Job:
        """Queue fn(db) without waiting (jobs run in the order they were queued)."""
        return self._put(Job(fn, self._event(), journaled=journaled))

    def run_item(self, many: Callable[[sqlite_utils.Database, list], list], item: Any,
                 journaled: bool = False) -> Any:
        """Write one item with its neighbours in the batch: many(db, items); its outcome once durable."""
        return self.wait(self._put(Job(None, self._event(), many, item, journaled)))

    def settle(self, others: bool = True) -> None:
        """Commit the journaled rows still pending (a batch's being journaled too), so that other connections
        read them; with several web workers (`settle_others`, classroom/journal_settle.py) every worker's too."""
        if self.pending or self.journaling:  # a barrier: behind a batch being journaled too, whose ack may come later
            self.run(lambda db: None)
        if others and self.settle_others is not None:
            self.settle_others()

    def _put(self, job: Job) -> Job:
        if self._closed:
            raise RuntimeError("the classroom writer is closed")
        if not self._started:
            self._start()
        self._queue.put(job)
        return job

    def wait(self, job: Job) -> Any:
        """Wait until a queued job is committed; its result (or its error raised)."""
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _gather(self) -> list[Job]:
        """The next batch: the first waiting write, then others for up to gather_s (or gather_max).

        Empty when journaled rows are pending and no write came before their commit is due."""
        if self.pending:
            due = min(self._last_write + self.settle_s, self._pending_since + self.max_pending_s)
            if self.pending_rows > self.max_pending_rows:  # past the limit: at the first quiet moment
                due = min(due, self._last_write + self.quiet_s)
            try:
                batch = [self._queue.get(timeout=max(0.0, due - self.clock()))]
            except Exception:  # queue.Empty, gevent.queue.Empty
                return []
        else:
            batch = [self._queue.get()]
        deadline = self.clock() + self.gather_s
        while len(batch) < MAX_BATCH and batch[-1].fn is not closing:  # close() gathers no company
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
            stop = next((job for job in batch if job.fn is closing), None)
            late: list[Job] = []
            if stop is not None:  # close(): the writes queued before it are done, then the loop ends
                at = batch.index(stop)
                batch, late = batch[:at], batch[at + 1:]
                if not batch:
                    return self._stop(stop, late)
            self._last_write = self.clock()
            try:
                self._commit(batch)
            except BaseException as err:  # never leave a caller waiting
                for job in batch:
                    job.error = job.error or err
            self.batches += 1
            for job in batch:
                job.done.set()
            if stop is not None:
                return self._stop(stop, late)
            if self._flush_due():  # after the acks: they waited for their own journal record alone
                self._flush()
            self.checkpointer.poke()

    def _commit(self, batch: list[Job]) -> None:
        """One transaction for the whole batch, each job in a savepoint; fsynced at COMMIT.

        Taking the write lock and committing (the fsync) run off the loop; the jobs' statements
        run on it: they only touch SQLite's page cache, and running them there avoids fighting
        the loop for the GIL. A batch of journaled jobs is made durable by the journal instead.
        """
        conn = self._db.conn
        lazy = self.journal is not None and all(job.journaled for job in batch) and not self._flush_due() \
            and self.lazy_while()
        self.journaling = lazy  # its rows join `pending` once their journal record is written (settle waits)
        self._begin()
        try:
            if self.pending:  # the jobs see the rows acked before (the outbox's only at the commit)
                answer_journal.apply(self._db, self.pending, skip=("outbox",) if lazy else ())
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
            record = self._journal_record(batch, rows) if lazy else None
            if record is None and lazy and self.pending:  # no room in the journal
                answer_journal.apply(self._db, [[e for e in r if e[0] == "outbox"] for r in self.pending])
            if record is not None:
                conn.execute("ROLLBACK")
                if rows:
                    off_loop(self._append, record)
                    if not self.pending:
                        self._pending_since = self.clock()
                    self.pending.append(rows)
                    self.pending_rows += sum(len(entry[2]) for entry in rows)
                return
            self._commit_pending()
        except BaseException as err:
            log.exception("group commit of %d jobs failed", len(batch))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for job in batch:
                job.error = job.error or err
        finally:
            self.journaling = False

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


def _spawn_thread(fn: Callable[[], Any]) -> None:
    threading.Thread(target=fn, name="classroom-checkpoint", daemon=True).start()
