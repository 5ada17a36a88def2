"""The classes tables: a teacher's classes and their members (first name or pseudonym, picture)."""

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("classbox.classes")


@migrations()
def m001_classes(db: sqlite_utils.Database) -> None:
    """Classes (owner, levels, retention date) and members (stable pseudonymous id, picture, order)."""
    db.execute(
        """CREATE TABLE classes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            owner_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            levels TEXT NOT NULL,
            retain_until TEXT NOT NULL,
            created_wall REAL
        )"""
    )
    db.execute("CREATE INDEX classes_owner ON classes(owner_id)")
    db.execute(
        """CREATE TABLE class_members (
            id TEXT PRIMARY KEY,
            class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            picture TEXT NOT NULL,
            position INTEGER NOT NULL,
            created_wall REAL,
            UNIQUE (class_id, name)
        )"""
    )
    db.execute("CREATE INDEX class_members_order ON class_members(class_id, position)")
