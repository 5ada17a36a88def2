"""Schema migrations: the sqlite-utils Migrations sets handed in by the wiring, applied at start.

Each feature package owns a set named "classbox.<feature>" so features evolve their tables
independently; classbox.features.migration_sets() lists them, storage knows none by name. A
database that records a classbox migration this code does not know was written by a newer
classbox: we refuse to touch it rather than guess.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Iterator

import sqlite_utils
from sqlite_utils.migrations import Migrations


class SchemaError(Exception):
    """The database cannot be used by this version of classbox."""


def check_not_newer(db: sqlite_utils.Database, sets: list[Migrations]) -> None:
    """Refuse a database holding classbox migrations unknown to this version."""
    table = db[Migrations.migrations_table]
    if not table.exists():
        return
    known = {(m.name, mig.name) for m in sets for mig in m._migrations}
    for row in table.rows:
        if not row["migration_set"].startswith("classbox."):
            continue
        if (row["migration_set"], row["name"]) not in known:
            raise SchemaError(
                f"database {db.conn.execute('PRAGMA database_list').fetchone()[2]} was written by a "
                f"newer classbox (migration {row['migration_set']}:{row['name']}); "
                "install that version or restore a backup"
            )


def migrate(db: sqlite_utils.Database, sets: list[Migrations]) -> list[str]:
    """Apply every pending migration of `sets`, in order; return the names applied ("set:name").

    One process at a time per database (the web service and the agent start together at first
    boot): the others wait, then find nothing pending."""
    with _one_at_a_time(db):
        check_not_newer(db, sets)
        applied = []
        for migrations in sets:
            for pending in migrations.pending(db):
                applied.append(f"{migrations.name}:{pending.name}")
            migrations.apply(db)
        return applied


@contextlib.contextmanager
def _one_at_a_time(db: sqlite_utils.Database) -> Iterator[None]:
    """An exclusive flock on `<database>.migrate-lock` (never the database file itself: closing
    another descriptor of it would drop SQLite's own locks); nothing for an in-memory database."""
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    if not path:
        yield
        return
    fd = os.open(Path(path).with_name(Path(path).name + ".migrate-lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def sql_migration(migrations: Migrations, name: str, *statements: str) -> None:
    """Register in `migrations` a migration called `name` that runs these SQL statements in one transaction."""

    def run(db: sqlite_utils.Database) -> None:
        for statement in statements:
            db.execute(statement)

    run.__name__ = name
    migrations()(run)
