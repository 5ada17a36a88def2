"""Database connections: WAL, a busy timeout, and synchronous=FULL where durability matters."""

from __future__ import annotations

import os
import sqlite3
import time
import weakref
from pathlib import Path

import sqlite_utils

DB_FILENAME = "classbox.db"
WAL_LIMIT_BYTES = 4 << 20  # the WAL is checkpointed past this size, and truncated back to it (storage/checkpoint.py)
BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 4  # idle request connections kept per app (one worker, gevent: a few run at once)


def db_path(data_dir: Path) -> Path:
    """Where the database file lives inside a data dir."""
    return Path(data_dir) / DB_FILENAME


def connect(path: Path, durable: bool = True, readonly: bool = False) -> sqlite_utils.Database:
    """Open the database with the box's pragmas.

    durable=True sets synchronous=FULL: a commit returns only once the WAL is fsynced, as needed
    for pupils' work and the outbox. durable=False (NORMAL) suits caches and samples.
    temp_store=MEMORY: SQLite's temporary files (a statement's undo journal inside a longer
    transaction, sorts, temporary indexes) stay in RAM; else they spill past 64 KiB to /var/tmp,
    on the same SD card (measured: ≈ 0.4 MB/h per process during a class, docs/performance.md).
    The box runs no VACUUM, whose temporary copy of the database this would put in RAM.
    """
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not readonly:
            _wal(conn)
            conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")  # a WAL starting again is cut back to this
        conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
    except BaseException:
        conn.close()  # not a database, or locked: nothing left for the garbage collector
        raise
    return sqlite_utils.Database(conn)


def _wal(conn: sqlite3.Connection) -> None:
    """WAL mode; on a new database another process (web and agent at first boot) may be switching
    it at the same moment, which SQLite answers "locked" without its busy handler: tried again."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def open_database(data_dir: Path, durable: bool = True) -> sqlite_utils.Database:
    """Open the database of a data dir (created if missing)."""
    return connect(db_path(data_dir), durable=durable)


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


class ConnectionPool:
    """Idle request connections of one app, reused: a request skips connecting, parsing the schema
    and re-reading hot pages (2.5 ms of a library search on 100,000 resources). A connection goes
    back only outside a transaction, and is dropped if the database file was replaced meanwhile."""

    def __init__(self, data_dir: Path, size: int = POOL_SIZE):
        self.path, self.size = db_path(data_dir), size
        self._idle: list[tuple[int, sqlite_utils.Database]] = []

    def take(self) -> sqlite_utils.Database:
        """An idle connection to the current file, else a new one."""
        current = _inode(self.path)
        while True:
            try:
                inode, db = self._idle.pop()
            except IndexError:
                return connect(self.path)
            if inode == current:
                return db
            db.conn.close()

    def give_back(self, db: sqlite_utils.Database) -> None:
        """Keep a connection for the next request (rolled back if a transaction was left open)."""
        if db.conn.in_transaction:
            db.conn.rollback()
        inode = _inode(self.path)
        if inode is None or len(self._idle) >= self.size:
            db.conn.close()
        else:
            self._idle.append((inode, db))

    def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            self._idle.pop()[1].conn.close()


def get_db() -> sqlite_utils.Database:
    """The request's database handle, taken from the app's pool on first use, given back at teardown."""
    from flask import current_app, g  # here, so that the agent and the CLI run without Flask

    if "classbox_db" not in g:
        g.classbox_db = _pool(current_app._get_current_object()).take()
    return g.classbox_db


def close_db(_exc: BaseException | None = None) -> None:
    """Give the request's handle back to the pool, if one was taken."""
    from flask import current_app, g

    db = g.pop("classbox_db", None)
    if db is not None:
        _pool(current_app._get_current_object()).give_back(db)


def _pool(app) -> ConnectionPool:
    pool = app.extensions.get("classbox_db_pool")
    if pool is None:
        pool = app.extensions["classbox_db_pool"] = ConnectionPool(app.config["CLASSBOX"].data_dir)
        weakref.finalize(app, pool.close)  # an app that goes away closes its idle connections
    return pool
