"""Health tables: the bounded sample history."""

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("classbox.health")


@migrations()
def m001_history(db: sqlite_utils.Database) -> None:
    """Chart points: one row a minute (resolution 60) and hourly roll-ups (3600)."""
    db.execute(
        """CREATE TABLE health_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            resolution INTEGER NOT NULL CHECK (resolution IN (60, 3600)),
            t REAL NOT NULL,
            data TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX health_history_t ON health_history (resolution, t)")
    db.execute("CREATE INDEX health_history_order ON health_history (resolution, id)")
