"""Database maintenance: integrity check and online backup."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from classbox.storage.db import BUSY_TIMEOUT_MS, db_path


def integrity_check(data_dir: Path) -> list[str]:
    """Problems reported by PRAGMA integrity_check (empty when the database is sound)."""
    path = db_path(data_dir)
    if not path.exists():
        return [f"{path}: no database"]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        return [f"{path}: {err}"]
    return [] if rows == ["ok"] else [f"{path}: {row}" for row in rows]


def backup(data_dir: Path, dest: str | os.PathLike) -> int:
    """Copy the live database to dest with SQLite's online backup API; return its size."""
    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".partial")
    source = sqlite3.connect(str(db_path(data_dir)), timeout=BUSY_TIMEOUT_MS / 1000)
    target = sqlite3.connect(str(tmp))
    try:
        source.backup(target, pages=1024)
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
        source.close()
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, dest)
    size = dest.stat().st_size
    _record_backup(data_dir, dest, size)
    return size


def _record_backup(data_dir: Path, dest: Path, size: int) -> None:
    """Remember the last backup (health alerts when it gets old)."""
    from classbox.storage.core import set_state
    from classbox.storage.db import open_database

    db = open_database(data_dir)
    try:
        with db.conn:
            set_state(db, "last_backup", {"path": str(dest), "size": size, "wall_time": time.time()})
    finally:
        db.conn.close()
