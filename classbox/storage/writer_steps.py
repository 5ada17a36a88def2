"""The group writer's steps: running jobs in savepoints, and the answer journal's commit path."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import sqlite_utils

from classbox.runtime.offload import off_loop
from classbox.storage import journal as answer_journal
from classbox.storage.db import BUSY_TIMEOUT_MS

log = logging.getLogger("classbox.storage.writer")


class Job:
    """One write waiting for the writer: a function, or an item of a batch function."""

    __slots__ = ("fn", "done", "result", "error", "many", "item", "journaled")

    def __init__(self, fn: Callable[[sqlite_utils.Database], Any] | None, done: Any,
                 many: Callable[[sqlite_utils.Database, list], list] | None = None, item: Any = None,
                 journaled: bool = False) -> None:
        self.fn, self.done, self.result, self.error = fn, done, None, None
        self.many, self.item, self.journaled = many, item, journaled

    def run_alone(self, db: sqlite_utils.Database) -> Any:
        """This job's work on its own (an item: a call of `many` with it alone)."""
        if self.many is None:
            return self.fn(db)
        outcome = self.many(db, [self.item])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class JobSteps:
    """Running jobs inside the writer's transaction, each in a savepoint, noting the rows they insert."""

    _db: sqlite_utils.Database

    def _run_alone(self, job: Job) -> list:
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

    def _run_group(self, group: list[Job]) -> list:
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


class JournalSteps:
    """The commit path of journaled rows (storage/journal.py) for the group writer."""

    _db: sqlite_utils.Database
    journal: answer_journal.Journal | None
    pending: list
    max_pending_rows: int
    emulate_commit_s: float

    def _journal_record(self, batch: list[Job], rows: list) -> bytes | None:
        """The journal record for this batch if it may skip the commit, else None."""
        if self.journal is None or not all(job.journaled for job in batch):
            return None
        record = self.journal.encode(rows)
        return record if self.journal.place(len(record)) is not None else None

    def pending_of(self, table: str, column: str, value: Any) -> list[dict]:
        """Rows inserted in `table` whose `column` is `value`, acked but not committed yet (in the journal alone).

        A reader that must see them reads this first, then SQLite: a row committed meanwhile is in the latter."""
        found = []
        for record in list(self.pending):
            for entry_table, columns, rows, *key in record:
                if entry_table == table and not key and column in columns:
                    at = columns.index(column)
                    found += [dict(zip(columns, row)) for row in rows if row[at] == value]
        return found

    def _flush_due(self) -> bool:
        """Whether the pending rows must be committed now, quiet or not: twice too many to insert again
        per batch, or the journal half full (so that a burst still finds room in it)."""
        if self.journal is None or not self.pending:
            return False
        return self.pending_rows > 2 * self.max_pending_rows or self.journal.offset > self.journal.size // 2

    def _commit_pending(self) -> None:
        """COMMIT the open transaction with the journal's marker: pending rows are in SQLite now."""
        epoch = answer_journal.new_epoch()
        if self.journal is not None:
            answer_journal.write_marker(self._db, epoch, 0, self.journal.marks)
        off_loop(self._finish)
        self.commits += 1
        if self.journal is not None:
            self.pending, self.pending_rows = [], 0
            off_loop(self._restart_journal, epoch)  # the committed records' bytes are zeroed

    def _finish(self) -> None:
        self._db.conn.execute("COMMIT")
        if self.emulate_commit_s:
            real_sleep(self.emulate_commit_s)

    def _append(self, record: bytes) -> None:
        self.journal.append(record)
        if self.emulate_commit_s:  # its fdatasync is as slow as a commit's on an SD card
            real_sleep(self.emulate_commit_s)

    def _restart_journal(self, epoch: int) -> None:
        self.journal.restart(epoch)
        if self.emulate_commit_s:  # the zeroing's fdatasync (benchmarks: a slow SD card)
            real_sleep(self.emulate_commit_s)

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


def real_sleep(seconds: float) -> None:
    """Sleep this OS thread (not a greenlet): emulates a slow SD-card fsync in benchmarks."""
    try:
        from gevent import monkey

        monkey.get_original("time", "sleep")(seconds)
    except ImportError:
        time.sleep(seconds)


def closing(_db: sqlite_utils.Database) -> None:
    """The job close() queues: the writer's loop ends there (never run)."""


class CloseSteps:
    """Stopping the writer's loop: the writes queued before are done, the files closed."""

    _db: sqlite_utils.Database
    _start_lock: Any
    _queue: Any
    _event: Callable[[], Any]
    _started: bool
    _closed: bool
    pending: list
    journal: Any
    checkpointer: Any

    def close(self) -> None:
        """Stop once the queued writes are committed: pending journaled rows too, files closed."""
        with self._start_lock:
            if self._closed:
                return
            self._closed = True
            if not self._started:
                return
        stop = Job(closing, self._event())
        self._queue.put(stop)
        stop.done.wait()

    def _stop(self, stop: Job, late: list[Job]) -> None:
        """The loop's last step: commit what the journal holds, close the files, release close()."""
        try:
            if self.pending:
                self._flush()
            self.checkpointer.close()
            if self.journal is not None:
                self.journal.close()
            self._db.conn.close()
        finally:
            while True:  # writes queued while closing: refused, never left waiting
                try:
                    late.append(self._queue.get_nowait())
                except Exception:  # queue.Empty, gevent.queue.Empty
                    break
            for job in late:
                job.error = RuntimeError("the classroom writer is closed")
                job.done.set()
            stop.done.set()
