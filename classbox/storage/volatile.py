"""State that changes every minute and may be lost on a power cut, kept off the SD card.

`volatile.db` lives in the runtime folder (`Config.runtime_dir`: /run/classbox, a tmpfs made by
the units' RuntimeDirectory=, kept across service restarts, emptied at boot). It has the same
`box_state` and `health_history` tables as classbox.db, so the same functions work on both:
the health sampler keeps its latest sample, its alerts and its minute points here, and writes
the points down to classbox.db at a slow pace (health/history.py). The agent writes it; web
and the CLI only read it (read-only opens create no file, so a technician's `classbox health`
run as root leaves nothing the agent could not open). A rollback journal, not WAL: no -shm file
to share between users, and transactions this small hold the lock for microseconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from classbox.config import Config

FILENAME = "volatile.db"
BUSY_TIMEOUT_MS = 5_000
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS box_state (key TEXT PRIMARY KEY, value TEXT, seq INTEGER)",
    "CREATE TABLE IF NOT EXISTS health_history (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "resolution INTEGER NOT NULL, t REAL NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS health_history_order ON health_history (resolution, id)",
)


def open_volatile(config: Config) -> sqlite_utils.Database:
    """Open for writing (and create if needed) the runtime folder's volatile database."""
    folder = config.runtime_dir
    folder.mkdir(mode=0o750, parents=True, exist_ok=True)
    conn = sqlite3.connect(str(folder / FILENAME), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = OFF")  # RAM: nothing to make durable
        with conn:
            for statement in SCHEMA:
                conn.execute(statement)
    except BaseException:
        conn.close()
        raise
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def reading_volatile(config: Config) -> Iterator[sqlite_utils.Database | None]:
    """The volatile database opened read-only, or None when the agent has not made it (yet)."""
    path = config.runtime_dir / FILENAME
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=False)
    except sqlite3.Error:
        yield None
        return
    try:
        conn.execute("SELECT 1 FROM box_state LIMIT 1").fetchall()
    except sqlite3.Error:
        conn.close()
        yield None
        return
    try:
        yield sqlite_utils.Database(conn)
    finally:
        conn.close()


def write_runtime_json(runtime_dir: Path, name: str, value: Any) -> None:
    """Put a small JSON file in the runtime folder (a tmpfs), replaced atomically: no SD-card write."""
    runtime_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=runtime_dir)
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(value, out)
        os.replace(tmp, runtime_dir / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_runtime_json(runtime_dir: Path, name: str) -> Any:
    """A JSON file of the runtime folder (None if absent or unreadable)."""
    try:
        return json.loads((runtime_dir / name).read_text())
    except (OSError, ValueError):
        return None
