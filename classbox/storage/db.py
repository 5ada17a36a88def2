"""Database connections: WAL, a busy timeout, and synchronous=FULL where durability matters."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

DB_FILENAME = "classbox.db"
BUSY_TIMEOUT_MS = 10_000


def db_path(data_dir: Path) -> Path:
    """Where the database file lives inside a data dir."""
    return Path(data_dir) / DB_FILENAME


def connect(path: Path, durable: bool = True, readonly: bool = False) -> sqlite_utils.Database:
    """Open the database with the box's pragmas.

    durable=True sets synchronous=FULL: a commit returns only once the WAL is fsynced, as needed
    for pupils' work and the outbox. durable=False (NORMAL) suits caches and samples.
    """
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
    conn.execute("PRAGMA foreign_keys = ON")
    return sqlite_utils.Database(conn)


def open_database(data_dir: Path, durable: bool = True) -> sqlite_utils.Database:
    """Open the database of a data dir (created if missing)."""
    return connect(db_path(data_dir), durable=durable)


def get_db() -> sqlite_utils.Database:
    """The request's database handle, opened on first use and closed at teardown."""
    from flask import current_app, g  # here, so that the agent and the CLI run without Flask

    if "classbox_db" not in g:
        g.classbox_db = open_database(current_app.config["CLASSBOX"].data_dir)
    return g.classbox_db


def close_db(_exc: BaseException | None = None) -> None:
    """Close the request's handle, if one was opened."""
    from flask import g

    db = g.pop("classbox_db", None)
    if db is not None:
        db.conn.close()
