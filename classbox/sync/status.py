"""Sync state for humans and for the health feature: box_state["sync.status"].

Layout of the JSON value (stable, read by classbox/health). It is written only when something
other than "updated" and the ages changed (the SD card is spared); refresh() returns live figures.
  {"updated": epoch, "pending": n, "dead": n, "last_success": epoch|null,
   "last_error": {"at": epoch, "target": str, "message": str}|null,
   "day": "YYYY-MM-DD", "bytes_sent_today": n, "bytes_received_today": n,
   "window_open": bool, "clock": {"known": bool, "source": str|null, "offset_s": float|null},
   "targets": {target: {"pending": n, "dead": n, "delivered": n, "oldest_pending_age_s": s|null,
                        "last_success": epoch|null, "last_error": {...}|null}}}
("inbox" appears as a target only with last_error, when a pull failed.)
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import sqlite_utils

from classbox.storage.core import get_state, set_state, write_transaction
from classbox.sync.clock import Clock, clock_summary

STATE_KEY = "sync.status"


def _today(now: float) -> str:
    return dt.datetime.fromtimestamp(now).strftime("%Y-%m-%d")


def load(db: sqlite_utils.Database) -> dict[str, Any]:
    """The stored status (empty skeleton if none)."""
    return get_state(db, STATE_KEY, None) or {"targets": {}, "last_success": None, "last_error": None}


def save(db: sqlite_utils.Database, status: dict[str, Any]) -> None:
    """Store the status in one small transaction."""
    with db.conn:
        set_state(db, STATE_KEY, status)


def record(db: sqlite_utils.Database, target: str | None, *, success: bool = False,
           error: str | None = None, sent: int = 0, received: int = 0, now: float | None = None) -> None:
    """Note a success or an error for a target, and bytes on the wire, in a commit of its own
    (nothing written if none)."""
    if success or error or sent or received:
        with write_transaction(db):
            note(db, target, success=success, error=error, sent=sent, received=received, now=now)


def note(db: sqlite_utils.Database, target: str | None, *, success: bool = False,
         error: str | None = None, sent: int = 0, received: int = 0, now: float | None = None) -> None:
    """As record(), inside the caller's transaction (a sync pass settles a batch in one commit)."""
    if not (success or error or sent or received):
        return
    now = time.time() if now is None else now
    status = load(db)
    entry = status.setdefault("targets", {}).setdefault(target, {}) if target else {}
    if success:
        entry["last_success"] = status["last_success"] = now
    if error:
        entry["last_error"] = status["last_error"] = {"at": now, "target": target, "message": error[:500]}
    _add_bytes(status, sent, received, now)
    set_state(db, STATE_KEY, status)


def _add_bytes(status: dict[str, Any], sent: int, received: int, now: float) -> None:
    day = _today(now)
    if status.get("day") != day:
        status.update(day=day, bytes_sent_today=0, bytes_received_today=0)
    status["bytes_sent_today"] = status.get("bytes_sent_today", 0) + sent
    status["bytes_received_today"] = status.get("bytes_received_today", 0) + received


def queue_figures(db: sqlite_utils.Database, clock: Clock | None = None,
                  now: float | None = None) -> dict[str, dict[str, Any]]:
    """Depth, dead and delivered counts and the oldest pending age, per target, from the outbox."""
    now = time.time() if now is None else now
    clock = clock or Clock(db)
    figures: dict[str, dict[str, Any]] = {}
    for target, state, count in db.execute(
            "SELECT target, state, COUNT(*) FROM outbox GROUP BY target, state").fetchall():
        figures.setdefault(target, {"pending": 0, "dead": 0, "delivered": 0})[state] = count
    for target, wall, mono, boot in db.execute(
            "SELECT target, created_wall, created_monotonic, boot_id FROM outbox o WHERE state = 'pending' "
            "AND seq = (SELECT MIN(seq) FROM outbox WHERE state = 'pending' AND target = o.target)"
    ).fetchall():
        created = clock.date(wall, mono, boot).epoch
        offset = clock.offset_s() or 0.0
        figures[target]["oldest_pending_age_s"] = max(0.0, now + offset - created)
    return figures


def refresh(db: sqlite_utils.Database, window_open: bool | None = None, clock: Clock | None = None,
            now: float | None = None, counts_alone: bool = True) -> dict[str, Any]:
    """Recompute the queue figures; store them only if more than their ages changed; return them.

    counts_alone=False (the agent's passes): queue counts that moved alone are not worth a write
    either (a class answering moves them all the time; whoever reads them recomputes them)."""
    now = time.time() if now is None else now
    stored = load(db)
    status = json.loads(json.dumps(stored))
    figures = queue_figures(db, clock, now)
    targets = status.setdefault("targets", {})
    for target in set(targets) | set(figures):
        entry = targets.setdefault(target, {})
        entry.update({"pending": 0, "dead": 0, "delivered": 0, "oldest_pending_age_s": None})
        entry.update(figures.get(target, {}))
    status["pending"] = sum(t["pending"] for t in targets.values())
    status["dead"] = sum(t["dead"] for t in targets.values())
    status["updated"] = now
    status["clock"] = clock_summary(db)
    if window_open is not None:
        status["window_open"] = window_open
    _add_bytes(status, 0, 0, now)
    if _lasting(status, counts_alone) != _lasting(stored, counts_alone):
        save(db, status)
    return status


_COUNTS = ("pending", "dead", "delivered")


def _lasting(status: dict[str, Any], counts: bool = True) -> dict[str, Any]:
    """The status without what changes at every look (the update time, the pending records' age),
    and without the queue counts unless `counts`."""
    skip = {"oldest_pending_age_s"} | (set() if counts else set(_COUNTS))
    targets = {name: {k: v for k, v in entry.items() if k not in skip}
               for name, entry in (status.get("targets") or {}).items()}
    return {**{k: v for k, v in status.items() if k != "updated" and (counts or k not in _COUNTS)},
            "targets": targets}


def dead_records(db: sqlite_utils.Database, limit: int = 100) -> list[dict[str, Any]]:
    """Dead records for display (no payload: it may hold pupils' answers)."""
    rows = db.execute("SELECT seq, kind, target, attempts, last_error, idempotency_key FROM outbox "
                      "WHERE state = 'dead' ORDER BY seq LIMIT ?", [limit]).fetchall()
    return [dict(zip(("seq", "kind", "target", "attempts", "last_error", "key"), row)) for row in rows]
