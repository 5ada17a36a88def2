"""The durable outbox: enqueue records for the ENT (delivery comes with the sync agent)."""

from __future__ import annotations

import json
import time
from typing import Any

import sqlite_utils

KINDS = ("xapi", "webdav")


def _boot_id() -> str:
    """This boot's id (wall timestamps from one boot can be corrected together)."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def enqueue(db: sqlite_utils.Database, kind: str, target: str, payload: dict[str, Any],
            idempotency_key: str, pupil_id: str | None = None) -> bool:
    """Queue one record for delivery; False if that idempotency key was already queued.

    Runs inside the caller's transaction (no commit here), so a submission and its outbox
    row become durable together.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    cursor = db.conn.execute(
        "INSERT OR IGNORE INTO outbox (kind, target, payload, idempotency_key, pupil_id, "
        "created_wall, created_monotonic, boot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [kind, target, json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
         idempotency_key, pupil_id, time.time(), time.monotonic(), _boot_id()],
    )
    return cursor.rowcount == 1
