"""The answer journal: acked rows made durable by one small fsynced append, written to SQLite later.

A class answering costs the SD card what it writes. Committing each answer in SQLite writes about
ten 4 KB pages to the WAL (the tables' and indexes' leaves it touched), then again to the database
file; the journal writes the answer's rows (a few hundred bytes) into one 4 KB block of a
preallocated file and `fdatasync`s it: the ack is as durable as before, at one block per fsync.
The rows reach SQLite in one commit for many answers (storage/writer.py says when).

File `classroom.journal` in the data dir (`classroom-<slot>.journal` for a web worker's slot, each
with its own marker; all are replayed at start), 1 MiB written once with zeros (so an append never
changes the file's size or extents: `fdatasync` writes the data block alone). Each record is a
16-byte header (epoch, length, CRC-32 of header and payload) and a payload, JSON deflated with a
preset dictionary (storage/journal_codec.py): a list of [table, columns, rows] (rows inserted) or
[table, columns, rows, key] (rows updated by key). Zeros, another epoch or a bad CRC end a block.
A record that fits in a block never straddles two (it starts at the next block instead), so every
block starts with a record: a damaged record costs the rest of its block, not the records of the
blocks after it (reading resumes at the next block start). An append is written with O_DIRECT, the
512-byte sectors it covers alone (storage/journal_sectors.py; a page-sized write where O_DIRECT is
refused), then fdatasynced. It rewrites the sector holding the records acked just before it in that
sector (an answer's record is ≈ 0.3 KB deflated): a cut during that rewrite on a card without
power-loss protection can damage them, at most one sector (one or two answers; a 4 KB block, about
a dozen, where the write is page-sized). Giving each record a block of its own would rule that out, but the zeroing after each
commit (below) would then write a block per answer again (+48 % of the SD writes of a class,
benchmarks/idle_writes.py, docs/performance.md). Which records SQLite already holds is said by a marker in SQLite itself, written
in the same transaction as the rows: (epoch, offset). After each such commit the journal starts
again at offset 0 under a new random epoch, so stale records from before are never read as new,
and the bytes written so far are zeroed and fdatasynced: pupils' names and answers never outlive
their commit in this file (they are then erased from SQLite alone, docs/privacy.md).
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
from pathlib import Path
import sqlite_utils

from classbox.storage import journal_codec
from classbox.storage.journal_sectors import SectorAppender
from classbox.storage.journal_apply import TABLES, Rows, apply  # noqa: F401 (the writer's too)

log = logging.getLogger("classbox.storage.journal")
FILENAME = "classroom.journal"  # one worker (`classbox serve`, `[web] workers = 1`)
PATTERN = "classroom*.journal"  # with several workers: classroom-<slot>.journal, one per worker slot
SIZE = 1 << 20
BLOCK = 4096
MARK_EPOCH, MARK_OFFSET = "journal-epoch", "journal-offset"  # rows of the `sequence` table


def filename(slot: int | None = None) -> str:
    """The journal file of one web worker's slot (runtime/sticky.py), or of the only writer (None)."""
    return FILENAME if slot is None else f"classroom-{int(slot)}.journal"


class JournalBusy(OSError):
    """Another process holds the journal of this data dir."""


def note(db: sqlite_utils.Database, table: str, columns: tuple[str, ...], rows: list,
         key: str | None = None) -> None:
    """Inside a writer job that may be journaled: remember the rows it inserted (else nothing).

    With `key`: the rows it updated, each (*new values of columns, value of key)."""
    capture = getattr(db, "journal_capture", None)
    if capture is not None and rows:
        entry = (table, tuple(columns), [tuple(row) for row in rows])
        capture.append(entry if key is None else (*entry, key))


def new_epoch() -> int:
    """A random epoch: records of an older timeline (a restored database) never match."""
    return secrets.randbits(62) + 1


class Journal:
    """The preallocated, append-only journal file of one data dir."""

    def __init__(self, data_dir: Path, size: int | None = None, name: str = FILENAME) -> None:
        self.path = Path(data_dir) / name
        self.marks = marker_names(name)  # its own rows of the `sequence` table
        self.size = SIZE if size is None else size
        self.epoch, self.offset = new_epoch(), 0
        self._fd = self._open()
        self._sectors = SectorAppender(self.path, BLOCK)  # an ack writes its sectors, not a 4 KB page
        self.written = self.size  # up to where records may lie (unknown at open: the whole file)

    def _open(self) -> int:
        fresh = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:  # one writer per data dir: a second process (two gunicorn workers) commits directly
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JournalBusy(f"{self.path} is in use by another process") from None
        current = os.fstat(fd).st_size
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)  # no read-ahead into big page-cache folios
        if current < self.size:  # zeros written for real: no unwritten extent to convert at append
            offset = current
            while offset < self.size:  # block by block: small page-cache folios, so that an append
                step = min(BLOCK - offset % BLOCK, self.size - offset)  # dirties one block, not a MiB
                os.pwrite(fd, bytes(step), offset)
                offset += step
            os.fsync(fd)
            if fresh:
                dir_fd = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        self.size = max(self.size, current)
        return fd

    def encode(self, rows: Rows) -> bytes:
        """One record holding these rows (under the current epoch; storage/journal_codec.py)."""
        return journal_codec.encode(self.epoch, rows)

    def place(self, length: int) -> int | None:
        """Where a record of `length` bytes would go, or None if the journal has no room."""
        offset = self.offset
        if length <= BLOCK and offset % BLOCK + length > BLOCK:  # never straddles two blocks: each block
            offset += BLOCK - offset % BLOCK  # starts with a record, where reading resumes after a damaged one
        return offset if offset + length <= self.size else None

    def append(self, record: bytes) -> None:
        """Write one record and fdatasync it: durable when this returns (blocking: run off the loop)."""
        offset = self.place(len(record))
        if offset is None:
            raise OSError("answer journal full")
        if not self._sectors.write(record, offset):
            os.pwrite(self._fd, record, offset)
        os.fdatasync(self._fd)
        self.offset = offset + len(record)
        self.written = max(self.written, self.offset)

    def restart(self, epoch: int) -> None:
        """Records so far are in SQLite (committed with the marker `epoch`, 0): zero their bytes
        (fdatasynced) and write from 0 again (blocking: run off the loop)."""
        self.epoch, self.offset = epoch, 0
        self._sectors.reset()
        if self.written:
            try:
                self._zero(self.written)
                self.written = 0
            except OSError:  # committed all the same: zeroed at the next commit
                log.exception("answer journal: committed records could not be zeroed")
                self.written = self.size

    def _zero(self, end: int) -> None:
        if end < self.size:  # what appends wrote since the last commit
            os.pwrite(self._fd, bytes(end), 0)
        else:  # after an open: only the blocks that hold something (no MiB written at each start)
            data, wrote = os.pread(self._fd, self.size, 0), False
            for start in range(0, len(data), BLOCK):
                block = data[start:start + BLOCK]
                if block.count(0) != len(block):
                    os.pwrite(self._fd, bytes(len(block)), start)
                    wrote = True
            if not wrote:
                return
        os.fdatasync(self._fd)

    def read_from(self, epoch: int, offset: int) -> list[Rows]:
        """The records of `epoch` from `offset` on, in order; a damaged one is skipped (and logged), not
        the intact ones after it."""
        found, data = [], os.pread(self._fd, self.size, 0)
        os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_DONTNEED)  # appends then dirty 4 KB folios
        gap = None
        while 0 <= offset < len(data):
            record = journal_codec.decode(data, offset, epoch)
            if record is None:  # the next block start (an older file may hold records mid-block)
                gap = offset if gap is None else gap
                offset = (offset // BLOCK + 1) * BLOCK
                continue
            if gap is not None:
                log.error("answer journal: damaged bytes %d-%d skipped, records after them kept", gap, offset)
            gap = None
            rows, offset = record
            found.append(rows)
        return found

    def close(self) -> None:
        """Close the file."""
        self._sectors.close()
        os.close(self._fd)


def open_waiting(data_dir: Path, name: str = FILENAME, wait_s: float = 2.0) -> Journal:
    """The journal, waiting up to `wait_s` while another process holds it (a starting worker recovering
    every free journal of the data dir: for a moment); JournalBusy after that (a worker not gone yet)."""
    import time

    deadline = time.monotonic() + wait_s
    while True:
        try:
            return Journal(data_dir, name=name)
        except JournalBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def marker_names(name: str = FILENAME) -> tuple[str, str]:
    """The `sequence` rows holding one journal file's marker (each worker's journal has its own)."""
    if name == FILENAME:
        return MARK_EPOCH, MARK_OFFSET
    return f"{MARK_EPOCH}:{name}", f"{MARK_OFFSET}:{name}"


def read_marker(db: sqlite_utils.Database, marks: tuple[str, str] = (MARK_EPOCH, MARK_OFFSET)
                ) -> tuple[int, int] | None:
    """(epoch, offset) of the journal records SQLite holds up to, or None (never written)."""
    found = dict(db.execute("SELECT name, value FROM sequence WHERE name IN (?, ?)", list(marks)))
    if marks[0] not in found:
        return None
    return found[marks[0]], found.get(marks[1], 0)


def write_marker(db: sqlite_utils.Database, epoch: int, offset: int,
                 marks: tuple[str, str] = (MARK_EPOCH, MARK_OFFSET)) -> None:
    """Inside the committing transaction: SQLite now holds every record before (epoch, offset)."""
    db.conn.executemany("INSERT INTO sequence (name, value) VALUES (?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                        [(marks[0], epoch), (marks[1], offset)])


def recover(db: sqlite_utils.Database, journal: Journal) -> tuple[int, int]:
    """Commit the journal's records SQLite does not hold yet (after a power cut or a kill), and
    start the journal again under a new epoch; (records applied, rows refused). Takes the lock."""
    marker = read_marker(db, journal.marks)
    records = journal.read_from(*marker) if marker else []
    epoch = new_epoch()
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        failed = apply(db, records)
        write_marker(db, epoch, 0, journal.marks)
        db.conn.execute("COMMIT")
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    journal.restart(epoch)
    if records:
        log.warning("answer journal: %d batches written to the database after an interruption "
                    "(%d rows refused)", len(records), failed)
    return len(records), failed


def journals_in_use(data_dir: Path) -> list[str]:
    """The journal files of a data dir a running process holds (a web worker's pending answers)."""
    busy = []
    for path in sorted(Path(data_dir).glob(PATTERN)):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            busy.append(path.name)
        finally:
            os.close(fd)
    return busy


def recover_data_dir(data_dir: Path) -> tuple[int, int]:
    """recover() of every journal file of a data dir (each worker's), with connections of its own
    (at the web app's start); the sums of (records applied, rows refused)."""
    from classbox.storage.db import open_database  # here: storage's package imports this module's users

    names = sorted({FILENAME, *(path.name for path in Path(data_dir).glob(PATTERN))})
    applied = refused = 0
    db = None
    try:
        for name in names:
            try:
                journal = Journal(data_dir, name=name)
            except JournalBusy:  # its owner (a running web worker) recovered it when it started
                continue
            try:
                if db is None:
                    db = open_database(data_dir, durable=True)
                    db.conn.isolation_level = None
                done = recover(db, journal)
            finally:
                journal.close()
            applied, refused = applied + done[0], refused + done[1]
    finally:
        if db is not None:
            db.conn.close()
    return applied, refused
