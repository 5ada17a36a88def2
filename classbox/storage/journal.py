"""The answer journal: acked rows made durable by one small fsynced append, written to SQLite later.

A class answering costs the SD card what it writes. Committing each answer in SQLite writes about
ten 4 KB pages to the WAL (the tables' and indexes' leaves it touched), then again to the database
file; the journal writes the answer's rows (a few hundred bytes) into one 4 KB block of a
preallocated file and `fdatasync`s it: the ack is as durable as before, at one block per fsync.
The rows reach SQLite in one commit for many answers (storage/writer.py says when).

File `classroom.journal` in the data dir, 1 MiB written once with zeros (so an append never
changes the file's size or extents: `fdatasync` writes the data block alone). Each record is a
16-byte header (epoch, length, CRC-32 of header and payload) and a JSON payload: a list of
[table, columns, rows]. A record that fits in a block never straddles two (it starts at the next
block instead). Which records SQLite already holds is said by a marker in SQLite itself, written
in the same transaction as the rows: (epoch, offset). After each such commit the journal starts
again at offset 0 under a new random epoch, so stale records from before are never read as new.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import struct
import zlib
from pathlib import Path
import sqlite_utils

log = logging.getLogger("classbox.storage.journal")
FILENAME = "classroom.journal"
SIZE = 1 << 20
BLOCK = 4096
_HEADER = struct.Struct("<QII")  # epoch, payload length, crc32
MARK_EPOCH, MARK_OFFSET = "journal-epoch", "journal-offset"  # rows of the `sequence` table
TABLES = ("classroom_pupils", "classroom_submissions", "outbox")  # what a record may write

Rows = list[tuple[str, tuple[str, ...], list[tuple]]]


def note(db: sqlite_utils.Database, table: str, columns: tuple[str, ...], rows: list) -> None:
    """Inside a writer job that may be journaled: remember the rows it inserted (else nothing)."""
    capture = getattr(db, "journal_capture", None)
    if capture is not None and rows:
        capture.append((table, tuple(columns), [tuple(row) for row in rows]))


def new_epoch() -> int:
    """A random epoch: records of an older timeline (a restored database) never match."""
    return secrets.randbits(62) + 1


class Journal:
    """The preallocated, append-only journal file of one data dir."""

    def __init__(self, data_dir: Path, size: int = SIZE) -> None:
        self.path = Path(data_dir) / FILENAME
        self.size = size
        self.epoch, self.offset = new_epoch(), 0
        self._fd = self._open()

    def _open(self) -> int:
        fresh = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        current = os.fstat(fd).st_size
        if current < self.size:  # zeros written for real: no unwritten extent to convert at append
            os.pwrite(fd, bytes(self.size - current), current)
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
        """One record holding these rows (under the current epoch)."""
        payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
        head = struct.pack("<QI", self.epoch, len(payload))
        return head + struct.pack("<I", zlib.crc32(head + payload)) + payload

    def place(self, length: int) -> int | None:
        """Where a record of `length` bytes would go, or None if the journal has no room."""
        offset = self.offset
        if length <= BLOCK and offset % BLOCK + length > BLOCK:
            offset += BLOCK - offset % BLOCK
        return offset if offset + length <= self.size else None

    def append(self, record: bytes) -> None:
        """Write one record and fdatasync it: durable when this returns (blocking: run off the loop)."""
        offset = self.place(len(record))
        if offset is None:
            raise OSError("answer journal full")
        os.pwrite(self._fd, record, offset)
        os.fdatasync(self._fd)
        self.offset = offset + len(record)

    def restart(self, epoch: int) -> None:
        """Records so far are in SQLite (committed with the marker `epoch`, 0): write from 0 again."""
        self.epoch, self.offset = epoch, 0

    def read_from(self, epoch: int, offset: int) -> list[Rows]:
        """The records of `epoch` from `offset` on, in order, up to the first missing or damaged one."""
        found, data = [], os.pread(self._fd, self.size, 0)
        while 0 <= offset < len(data):
            record = _decode(data, offset, epoch)
            if record is None and offset % BLOCK:
                offset += BLOCK - offset % BLOCK
                record = _decode(data, offset, epoch)
            if record is None:
                break
            rows, offset = record
            found.append(rows)
        return found

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)


def _decode(data: bytes, offset: int, epoch: int) -> tuple[Rows, int] | None:
    if offset + _HEADER.size > len(data):
        return None
    found_epoch, length, crc = _HEADER.unpack_from(data, offset)
    end = offset + _HEADER.size + length
    if found_epoch != epoch or end > len(data):
        return None
    head, payload = data[offset:offset + 12], data[offset + _HEADER.size:end]
    if zlib.crc32(head + payload) != crc:
        return None
    try:
        return json.loads(payload), end
    except ValueError:
        return None


def read_marker(db: sqlite_utils.Database) -> tuple[int, int] | None:
    """(epoch, offset) of the journal records SQLite holds up to, or None (never written)."""
    found = dict(db.execute("SELECT name, value FROM sequence WHERE name IN (?, ?)", [MARK_EPOCH, MARK_OFFSET]))
    if MARK_EPOCH not in found:
        return None
    return found[MARK_EPOCH], found.get(MARK_OFFSET, 0)


def write_marker(db: sqlite_utils.Database, epoch: int, offset: int) -> None:
    """Inside the committing transaction: SQLite now holds every record before (epoch, offset)."""
    db.conn.executemany("INSERT INTO sequence (name, value) VALUES (?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                        [(MARK_EPOCH, epoch), (MARK_OFFSET, offset)])


def apply(db: sqlite_utils.Database, records: list[Rows]) -> int:
    """Insert the rows of journal records (already there: skipped); the number of rows that failed.

    A row SQLite refuses (its pupil erased meanwhile) is logged and skipped, never the others.
    """
    failed, top = 0, 0
    for record in records:
        for table, columns, rows in record:
            if table not in TABLES or not all(isinstance(c, str) and c.isidentifier() for c in columns):
                log.error("journal record for %r ignored", table)
                continue
            sql = (f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
                   f"VALUES ({', '.join('?' * len(columns))})")
            try:
                db.conn.executemany(sql, rows)
            except Exception:
                failed += _one_by_one(db, sql, rows)
            if "seq" in columns and table != "outbox":
                top = max([top, *(row[list(columns).index("seq")] for row in rows)])
    if top:
        db.execute("INSERT INTO sequence (name, value) VALUES ('records', ?) "
                   "ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)", [top])
    return failed


def _one_by_one(db: sqlite_utils.Database, sql: str, rows: list) -> int:
    failed = 0
    for row in rows:
        try:
            db.conn.execute(sql, row)
        except Exception:
            log.exception("journal row refused by SQLite, skipped: %.200r", row)
            failed += 1
    return failed



def recover(db: sqlite_utils.Database, journal: Journal) -> tuple[int, int]:
    """Commit the journal's records SQLite does not hold yet (after a power cut or a kill), and
    start the journal again under a new epoch; (records applied, rows refused). Takes the lock."""
    marker = read_marker(db)
    records = journal.read_from(*marker) if marker else []
    epoch = new_epoch()
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        failed = apply(db, records)
        write_marker(db, epoch, 0)
        db.conn.execute("COMMIT")
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    journal.restart(epoch)
    if records:
        log.warning("answer journal: %d batches written to the database after an interruption "
                    "(%d rows refused)", len(records), failed)
    return len(records), failed


def recover_data_dir(data_dir: Path) -> tuple[int, int]:
    """recover() on a data dir, with connections of its own (at the web app's start)."""
    from classbox.storage.db import open_database  # here: storage's package imports this module's users

    db = open_database(data_dir, durable=True)
    db.conn.isolation_level = None
    journal = Journal(data_dir)
    try:
        return recover(db, journal)
    finally:
        journal.close()
        db.conn.close()
