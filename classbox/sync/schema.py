"""The outbox table: every record the box must deliver to the ENT, in `seq` order per target."""

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("classbox.sync")


@migrations()
def m001_outbox(db: sqlite_utils.Database) -> None:
    """Outbox rows per ARCHITECTURE.md (seq is the monotonic order, never the wall clock)."""
    db.execute(
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            payload TEXT NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE,
            pupil_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
            last_error TEXT,
            created_wall REAL,
            created_monotonic REAL,
            boot_id TEXT,
            delivered_wall REAL
        )"""
    )
    db.execute("CREATE INDEX outbox_pending ON outbox (state, target, seq)")
    db.execute("CREATE INDEX outbox_pupil ON outbox (pupil_id)")


@migrations()
def m002_roster_inbox(db: sqlite_utils.Database) -> None:
    """Roster (pupil pseudonym -> ENT login) and the inbox's record of mirrored files."""
    db.execute(
        """CREATE TABLE sync_roster (
            pseudonym TEXT PRIMARY KEY COLLATE NOCASE,
            ent_login TEXT NOT NULL,
            class_name TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE sync_inbox (
            path TEXT PRIMARY KEY,
            etag TEXT,
            size INTEGER,
            sha256 TEXT,
            state TEXT NOT NULL DEFAULT 'imported',
            error TEXT,
            imported_wall REAL,
            library_ref TEXT
        )"""
    )
