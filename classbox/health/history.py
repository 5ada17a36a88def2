"""Bounded history of samples: 24 h at one point a minute, 30 days at one point an hour.

A new minute point is kept in RAM first (`keep`, into the volatile database on tmpfs) and
written down to classbox.db with the others at a slow pace (`persist`, every [health]
persist_interval_s): on a power cut the box loses at most that interval of minute points.
Minute points since the last roll-up are averaged into one hourly point whenever the hour
changes. Old points are pruned by age, and a hard row bound holds whatever the clock does
(a box may boot in 1970 and jump to today).
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from classbox.storage.core import get_state, set_state

MINUTE, HOUR = 60, 3600
MINUTE_KEEP_S, HOUR_KEEP_S = 24 * 3600, 30 * 24 * 3600
MAX_MINUTE_ROWS, MAX_HOUR_ROWS = 1440 + 60, 720 + 24
MIN_SPACING_S = 55.0
SERIES = ("cpu", "temp", "disk", "mem", "load1", "write", "pupils", "outbox")
ROLLUP_KEY = "health.rollup_id"


def point(sample: dict[str, Any]) -> dict[str, float | None]:
    """The chart values of one sample."""
    system, app = sample.get("system") or {}, sample.get("app") or {}
    disk, memory, io = system.get("disk") or {}, system.get("memory") or {}, system.get("io") or {}
    load = system.get("load") or [None]
    return {
        "cpu": system.get("cpu_percent"), "temp": system.get("temperature_celsius"),
        "disk": disk.get("percent"), "mem": memory.get("percent"), "load1": load[0],
        "write": io.get("write_bytes_per_second"),
        "pupils": (app.get("classroom") or {}).get("pupils"),
        "outbox": (app.get("outbox") or {}).get("pending"),
    }


def _average(points: list[dict[str, Any]]) -> dict[str, float | None]:
    """Mean of each series over some points (max kept for CPU and temperature)."""
    result: dict[str, float | None] = {}
    for key in SERIES:
        values = [p[key] for p in points if isinstance(p.get(key), (int, float))]
        result[key] = round(sum(values) / len(values), 2) if values else None
        if key in ("cpu", "temp"):
            result[key + "_max"] = max(values) if values else None
    return result


def _rollup(db: sqlite_utils.Database, before_id: int) -> None:
    """Average the minute points since the last roll-up into one hourly point."""
    since = get_state(db, ROLLUP_KEY, 0)
    rows = db.execute("SELECT id, t, data FROM health_history WHERE resolution = ? AND id > ? AND id < ? "
                      "ORDER BY id", [MINUTE, since, before_id]).fetchall()
    if rows:
        hour_t = rows[0][1] - rows[0][1] % HOUR
        db.execute("INSERT INTO health_history (resolution, t, data) VALUES (?, ?, ?)",
                   [HOUR, hour_t, json.dumps(_average([json.loads(r[2]) for r in rows]))])
    set_state(db, ROLLUP_KEY, before_id - 1)


def _prune(db: sqlite_utils.Database, now: float, resolution: int) -> None:
    """Drop points too old (or stamped in the future by a clock since corrected), then bound rows."""
    keep, bound = (MINUTE_KEEP_S, MAX_MINUTE_ROWS) if resolution == MINUTE else (HOUR_KEEP_S, MAX_HOUR_ROWS)
    db.execute("DELETE FROM health_history WHERE resolution = ? AND t < ?", [resolution, now - keep])
    db.execute("DELETE FROM health_history WHERE resolution = ? AND t > ?", [resolution, now + 2 * resolution])
    db.execute("DELETE FROM health_history WHERE resolution = ? AND id <= (SELECT id FROM health_history "
               "WHERE resolution = ? ORDER BY id DESC LIMIT 1 OFFSET ?)", [resolution, resolution, bound])


def _last_minute(db: sqlite_utils.Database) -> tuple[int, float] | None:
    return db.execute("SELECT id, t FROM health_history WHERE id = "
                      "(SELECT MAX(id) FROM health_history WHERE resolution = ?)", [MINUTE]).fetchone()


def _store_point(db: sqlite_utils.Database, now: float, data: str) -> None:
    """Insert one minute point, roll up when the hour changed and prune; no commit here."""
    last = _last_minute(db)
    cursor = db.conn.execute("INSERT INTO health_history (resolution, t, data) VALUES (?, ?, ?)",
                             [MINUTE, now, data])
    if last is not None and (now // HOUR != last[1] // HOUR):
        _rollup(db, cursor.lastrowid)
        _prune(db, now, HOUR)
    _prune(db, now, MINUTE)


def _too_soon(last: tuple[int, float] | None, now: float) -> bool:
    return last is not None and 0 <= now - last[1] < MIN_SPACING_S


def record(db: sqlite_utils.Database, sample: dict[str, Any]) -> bool:
    """Add a sample's point straight to `db` (at most one a minute), roll up and prune; no commit."""
    now = float(sample["wall"])
    if _too_soon(_last_minute(db), now):
        return False
    _store_point(db, now, json.dumps(point(sample)))
    return True


def keep(vol: sqlite_utils.Database, sample: dict[str, Any], db: sqlite_utils.Database | None = None) -> bool:
    """Keep a sample's point in RAM (at most one a minute; `db` is asked when RAM holds none)."""
    now = float(sample["wall"])
    last = _last_minute(vol) or (_last_minute(db) if db is not None else None)
    if _too_soon(last, now):
        return False
    vol.execute("INSERT INTO health_history (resolution, t, data) VALUES (?, ?, ?)",
                [MINUTE, now, json.dumps(point(sample))])
    vol.execute("DELETE FROM health_history WHERE id <= (SELECT id FROM health_history "
                "ORDER BY id DESC LIMIT 1 OFFSET ?)", [MAX_MINUTE_ROWS])
    return True


def persist(db: sqlite_utils.Database, vol: sqlite_utils.Database) -> int:
    """Write the points kept in RAM down to `db` in one transaction; nothing if none. Returns how many."""
    rows = vol.execute("SELECT id, t, data FROM health_history WHERE resolution = ? ORDER BY id",
                       [MINUTE]).fetchall()
    if not rows:
        return 0
    with db.conn:
        for _, t, data in rows:
            _store_point(db, t, data)
    with vol.conn:
        vol.execute("DELETE FROM health_history WHERE id <= ?", [rows[-1][0]])
    return len(rows)


def series(db: sqlite_utils.Database, now: float, resolution: int = MINUTE,
           span_s: float = MINUTE_KEEP_S, vol: sqlite_utils.Database | None = None
           ) -> list[tuple[float, dict[str, Any]]]:
    """The points of the last span_s seconds, oldest first (those written down, then those in RAM)."""
    query = ("SELECT t, data FROM health_history WHERE resolution = ? AND t >= ? AND t <= ? ORDER BY id",
             [resolution, now - span_s, now + resolution])
    rows = db.execute(*query).fetchall() + (vol.execute(*query).fetchall() if vol is not None else [])
    return [(t, json.loads(data)) for t, data in rows]


def counts(db: sqlite_utils.Database, vol: sqlite_utils.Database | None = None) -> dict[str, int]:
    """How many points each resolution holds (written down or in RAM)."""
    found: dict[int, int] = {}
    for source in (db, vol) if vol is not None else (db,):
        for resolution, count in source.execute(
                "SELECT resolution, COUNT(*) FROM health_history GROUP BY resolution").fetchall():
            found[resolution] = found.get(resolution, 0) + count
    return {"minute_points": found.get(MINUTE, 0), "hour_points": found.get(HOUR, 0)}
