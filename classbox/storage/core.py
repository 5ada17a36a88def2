"""Tables every feature may use: box-wide key/value state and the monotonic sequence."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Iterator

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("classbox.core")


@migrations()
def m001_state(db: sqlite_utils.Database) -> None:
    """Box-wide state: agent heartbeat, last backup, learned clock offset…"""
    db["box_state"].create({"key": str, "value": str, "seq": int}, pk="key")
    db["sequence"].create({"name": str, "value": int}, pk="name")


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Every write inside in one commit (sqlite-utils commits each statement run outside a
    transaction), the write lock taken first: BEGIN IMMEDIATE waits out another writer instead of
    failing on a read snapshot gone stale. Inside an open transaction it is a savepoint of it."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        db.conn.rollback()
        raise


def next_seq(db: sqlite_utils.Database, name: str = "records") -> int:
    """A monotonic number for ordering records without trusting the wall clock.

    Inside an open transaction (db.atomic(), the classroom writer) it is part of it;
    otherwise sqlite-utils commits the increment on its own.
    """
    db.execute(
        "INSERT INTO sequence (name, value) VALUES (?, 1) "
        "ON CONFLICT(name) DO UPDATE SET value = value + 1",
        [name],
    )
    return db.execute("SELECT value FROM sequence WHERE name = ?", [name]).fetchone()[0]


def next_seqs(db: sqlite_utils.Database, count: int, name: str = "records") -> range:
    """`count` consecutive numbers of the sequence at once (like `count` calls of next_seq)."""
    if count <= 0:
        return range(0)
    db.execute(
        "INSERT INTO sequence (name, value) VALUES (?, ?) "
        "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
        [name, count],
    )
    last = db.execute("SELECT value FROM sequence WHERE name = ?", [name]).fetchone()[0]
    return range(last - count + 1, last + 1)


def set_state(db: sqlite_utils.Database, key: str, value: Any) -> None:
    """Store a JSON value under a key: part of an open transaction, else committed at once."""
    db.execute(
        "INSERT INTO box_state (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, json.dumps(value)],
    )


def get_state(db: sqlite_utils.Database, key: str, default: Any = None) -> Any:
    """Read a JSON value stored with set_state."""
    row = db.execute("SELECT value FROM box_state WHERE key = ?", [key]).fetchone()
    return default if row is None else json.loads(row[0])
