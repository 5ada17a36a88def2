"""Retention: delivered outbox records are purged after [privacy] retention_days."""

from __future__ import annotations

import time

import sqlite_utils

from classbox.config import Config
from classbox.storage.core import get_state, set_state
from classbox.sync.outbox import purge_delivered

STATE_KEY = "sync.retention"
EVERY_S = 3600.0


def purge(db: sqlite_utils.Database, retention_days: int, now: float | None = None) -> int:
    """Delete delivered records older than the retention; returns how many."""
    now = time.time() if now is None else now
    return purge_delivered(db, now - max(0, retention_days) * 86400)


def purge_if_due(db: sqlite_utils.Database, config: Config, now: float | None = None) -> int:
    """Purge at most once an hour (cheap, and spares the SD card)."""
    now = time.time() if now is None else now
    last = get_state(db, STATE_KEY, None) or {}
    if abs(now - last.get("at", 0)) < EVERY_S:
        return 0
    removed = purge(db, config["privacy"]["retention_days"], now)
    with db.conn:
        set_state(db, STATE_KEY, {"at": now, "removed": removed})
    return removed
