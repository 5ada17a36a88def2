"""The app's own metrics: live classroom, outbox, sync, backups, discovery, sizes."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from classbox.storage.db import DB_FILENAME
from classbox.storage.volatile import read_runtime_json
from classbox.sync.crashes import KILLED

LIVE_FILE = "classroom-live.json"  # web's live counts in the runtime folder (classroom/service.py)


def state(db: sqlite_utils.Database, key: str) -> Any:
    """A box_state value written by another feature, or None if absent or unreadable."""
    try:
        row = db.execute("SELECT value FROM box_state WHERE key = ?", [key]).fetchone()
        return None if row is None else json.loads(row[0])
    except (sqlite3.Error, ValueError, TypeError):
        return None


def states(db: sqlite_utils.Database, keys: list[str]) -> dict[str, Any]:
    """Several box_state values in one query (absent or unreadable ones are None)."""
    rows = db.execute(f"SELECT key, value FROM box_state WHERE key IN ({', '.join('?' * len(keys))})",
                      keys).fetchall()
    found: dict[str, Any] = dict.fromkeys(keys)
    for key, value in rows:
        try:
            found[key] = json.loads(value)
        except (ValueError, TypeError):
            pass
    return found


def _count(value: Any) -> int | None:
    """A non-negative count from another feature's state, None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return int(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def classroom(db: sqlite_utils.Database, runtime_dir: Path | None = None) -> dict[str, Any]:
    """Pupils and teachers connected, sessions open: web's file in the runtime folder (RAM), else
    box_state "classroom.live" (where web kept them before)."""
    live = read_runtime_json(runtime_dir, LIVE_FILE) if runtime_dir is not None else None
    if live is None:
        live = state(db, "classroom.live")
    live = live if isinstance(live, dict) else {}
    counts: dict[str, Any] = {key: _count(live.get(key)) for key in ("pupils", "teachers", "sessions")}
    if isinstance(live.get("shared"), bool):  # several web workers: whether their Redis answers
        counts["shared"] = live["shared"]
    return counts


def outbox(db: sqlite_utils.Database, wall: float, monotonic: float, boot_id: str) -> dict[str, Any]:
    """Pending depth, oldest pending age and dead records, per target; and how many dead records were
    abandoned after the sync agent kept being killed while sending them (sync/crashes.py), not refused."""
    targets: dict[str, dict[str, Any]] = {}
    try:
        rows = db.execute(
            "SELECT target, state, COUNT(*), MIN(seq), SUM(IFNULL(last_error, '') LIKE ?) FROM outbox "
            "WHERE state IN ('pending', 'dead') GROUP BY target, state", [KILLED + "%"]).fetchall()
    except sqlite3.Error:
        return {"targets": {}, "pending": None, "dead": None, "dead_crashes": None}
    crashed = 0
    for target, row_state, count, first_seq, killed in rows:
        entry = targets.setdefault(target, {"pending": 0, "dead": 0, "oldest_pending_age_seconds": None})
        entry[row_state] = count
        crashed += killed if row_state == "dead" else 0
        if row_state == "pending":
            oldest = db.execute("SELECT created_wall, created_monotonic, boot_id FROM outbox WHERE seq = ?",
                                [first_seq]).fetchone()
            entry["oldest_pending_age_seconds"] = _age(oldest, wall, monotonic, boot_id)
    return {"targets": targets, "pending": sum(t["pending"] for t in targets.values()),
            "dead": sum(t["dead"] for t in targets.values()), "dead_crashes": crashed}


def _age(row: tuple | None, wall: float, monotonic: float, boot_id: str) -> float | None:
    """A record's age: monotonic within this boot, else by the wall clock (never negative)."""
    if row is None:
        return None
    created_wall, created_mono, row_boot = row
    if boot_id and row_boot == boot_id and created_mono is not None:
        return round(max(0.0, monotonic - created_mono), 1)
    if created_wall is None:
        return None
    return round(max(0.0, wall - created_wall), 1)


def _latest_timestamp(value: Any, depth: int = 0) -> float | None:
    """The newest number under a key naming a last success, searched a few levels deep."""
    if not isinstance(value, dict) or depth > 3:
        return None
    found = []
    for key, item in value.items():
        if "success" in str(key).lower() or str(key) in ("last_ok", "last_ok_wall"):
            number = _number(item)
            if number is not None and number > 0:
                found.append(number)
        nested = _latest_timestamp(item, depth + 1)
        if nested is not None:
            found.append(nested)
    return max(found) if found else None


def sync(db: sqlite_utils.Database) -> dict[str, Any]:
    """When the last sync succeeded (box_state "sync.status", read defensively)."""
    status = state(db, "sync.status")
    clock = status.get("clock") if isinstance(status, dict) else None
    known = clock.get("known") if isinstance(clock, dict) else None
    return {"last_success_wall": _latest_timestamp(status), "reported": status is not None,
            "clock_known": known if isinstance(known, bool) else None}


def backup(db: sqlite_utils.Database) -> dict[str, Any]:
    """The last `classbox db backup` (box_state "last_backup")."""
    last = state(db, "last_backup")
    last = last if isinstance(last, dict) else {}
    return {"wall_time": _number(last.get("wall_time")), "size_bytes": _count(last.get("size"))}


def discovery(db: sqlite_utils.Database) -> dict[str, Any]:
    """Whether the mDNS advertiser says it is announcing (box_state "discovery")."""
    value = state(db, "discovery")
    if not isinstance(value, dict):
        return {"announcing": None}
    for key in ("announcing", "announced", "registered", "running"):
        if isinstance(value.get(key), bool):
            return {"announcing": value[key]}
    text = str(value.get("state") or value.get("status") or "").lower()
    if text:
        return {"announcing": text in ("announcing", "announced", "registered", "running", "ok")}
    return {"announcing": None}


def tree_size(path: Path) -> int:
    """Total bytes of the regular files under a folder (0 when it does not exist)."""
    total = 0
    stack = [path]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
                except OSError:
                    continue
    return total


def sizes(data_dir: Path) -> dict[str, int]:
    """Library (blobs + ZIM files) and database (with its WAL) sizes in bytes."""
    db_bytes = 0
    for suffix in ("", "-wal", "-shm"):
        try:
            db_bytes += (data_dir / (DB_FILENAME + suffix)).stat().st_size
        except OSError:
            pass
    blobs, zim = tree_size(data_dir / "blobs"), tree_size(data_dir / "zim")
    return {"library_bytes": blobs + zim, "blobs_bytes": blobs, "zim_bytes": zim, "database_bytes": db_bytes}
