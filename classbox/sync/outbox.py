"""The durable outbox: enqueue records for the ENT; claim, mark and retry them for the agent."""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from classbox.storage.core import write_transaction
from classbox.storage.journal import note
from classbox.sync.backoff import CAP_S
from classbox.sync.records import KINDS


@functools.cache
def _boot_id() -> str:
    """This boot's id, read once per process (wall times of one boot are corrected together)."""
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
    row = _row(kind, target, payload, idempotency_key, pupil_id)
    cursor = db.conn.execute(_INSERT, row)
    note(db, "outbox", _COLUMNS, [row])
    return cursor.rowcount == 1


def enqueue_many(db: sqlite_utils.Database,
                 records: list[tuple[str, str, dict[str, Any], str, str | None]]) -> None:
    """Queue several (kind, target, payload, idempotency_key, pupil_id) records in one statement.

    Same rules as enqueue (keys already queued are skipped; the caller's transaction).
    """
    if records:
        rows = [_row(*record) for record in records]
        db.conn.executemany(_INSERT, rows)
        note(db, "outbox", _COLUMNS, rows)


_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once, not per record
_COLUMNS = ("kind", "target", "payload", "idempotency_key", "pupil_id", "created_wall", "created_monotonic", "boot_id")
_INSERT = f"INSERT OR IGNORE INTO outbox ({', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


def _row(kind: str, target: str, payload: dict[str, Any], idempotency_key: str, pupil_id: str | None) -> list:
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    return [kind, target, _to_json(payload),
            idempotency_key, pupil_id, time.time(), time.monotonic(), _boot_id()]


# --- delivery side: claim -> deliver -> mark (the sync agent) ---------------------------------

COLUMNS = ("seq, kind, target, payload, idempotency_key, pupil_id, attempts, next_attempt_at, "
           "created_wall, created_monotonic, boot_id")


@dataclass
class OutboxRecord:
    """One claimed outbox row, payload decoded."""

    seq: int
    kind: str
    target: str
    payload: dict[str, Any]
    idempotency_key: str
    pupil_id: str | None
    attempts: int
    created_wall: float | None
    created_monotonic: float | None
    boot_id: str | None


def is_due(next_attempt_at: float, now: float) -> bool:
    """Due when its time has come, or when the clock jumped back past any possible backoff."""
    return next_attempt_at <= now or next_attempt_at - now > CAP_S + 60


def pending_targets(db: sqlite_utils.Database) -> list[str]:
    """Targets that have pending records."""
    rows = db.execute("SELECT DISTINCT target FROM outbox WHERE state = 'pending' ORDER BY target")
    return [row[0] for row in rows.fetchall()]


def claim(db: sqlite_utils.Database, target: str, limit: int, now: float | None = None
          ) -> list[OutboxRecord]:
    """The next records of a target in seq order, if its head is due (each record's `attempts`
    counts the attempt about to be made).

    Head-of-line: while the oldest pending record waits for its retry, nothing after it goes.
    Writes nothing (SD card): the attempt is counted with its outcome, in the batch's one commit
    (`settle`); an attempt cut short by a kill is counted by sync/crashes.py (in tmpfs), which
    backs the batch off only once it killed the agent several times.
    A row whose payload is not JSON goes dead here instead of blocking the queue.
    """
    now = time.time() if now is None else now
    rows = db.execute(
        f"SELECT {COLUMNS} FROM outbox WHERE state = 'pending' AND target = ? ORDER BY seq LIMIT ?",
        [target, limit]).fetchall()
    if not rows or not is_due(rows[0][7], now):
        return []
    records, unreadable = [], []
    for row in rows:
        try:
            payload = json.loads(row[3])
            if not isinstance(payload, dict):
                raise ValueError("payload is not an object")
        except ValueError as err:
            unreadable.append((f"unreadable payload: {err}", row[0]))
            continue
        records.append(OutboxRecord(row[0], row[1], row[2], payload, row[4], row[5], row[6] + 1,
                                    row[8], row[9], row[10]))
    if unreadable:
        with write_transaction(db):
            db.conn.executemany("UPDATE outbox SET state = 'dead', last_error = ? WHERE seq = ?", unreadable)
    return records


def mark_delivered(db: sqlite_utils.Database, seqs: list[int], now: float | None = None) -> None:
    """Record delivery, in a commit of its own."""
    with write_transaction(db):
        settle_delivered(db, seqs, now)


def mark_dead_many(db: sqlite_utils.Database, dead: list[tuple[int, str]]) -> None:
    """Permanent failures (seq, error), in one commit: the records wait for a human (`classbox sync retry-dead`)."""
    with write_transaction(db):
        settle_dead(db, dead)


def mark_retry(db: sqlite_utils.Database, seqs: list[int], error: str, delay_s: float,
               now: float | None = None, count_attempt: bool = True) -> None:
    """A transient failure: retry these records after `delay_s`, in a commit of its own."""
    with write_transaction(db):
        settle_retry(db, seqs, error, delay_s, now, count_attempt)


# The settle_* functions write inside the caller's transaction: a sync pass settles a batch
# (its rows, their attempt, the status) in one commit.

def settle_delivered(db: sqlite_utils.Database, seqs: list[int], now: float | None = None) -> None:
    """Delivered: the attempt counted, the record kept until retention purges it."""
    if not seqs:
        return
    now = time.time() if now is None else now
    db.execute(f"UPDATE outbox SET state = 'delivered', delivered_wall = ?, last_error = NULL, "
               f"attempts = attempts + 1 WHERE seq IN ({','.join('?' * len(seqs))})", [now, *seqs])


def settle_dead(db: sqlite_utils.Database, dead: list[tuple[int, str]]) -> None:
    """Permanent failures (seq, error): the attempt counted, the record dead."""
    if not dead:
        return
    db.conn.executemany("UPDATE outbox SET state = 'dead', last_error = ?, attempts = attempts + 1 WHERE seq = ?",
                        [(error[:1000], seq) for seq, error in dead])


def settle_retry(db: sqlite_utils.Database, seqs: list[int], error: str, delay_s: float,
                 now: float | None = None, count_attempt: bool = True) -> None:
    """A transient failure: retry after `delay_s` (the attempt counted unless `count_attempt` is False)."""
    if not seqs:
        return
    now = time.time() if now is None else now
    db.execute(f"UPDATE outbox SET next_attempt_at = ?, last_error = ?, attempts = attempts + ? "
               f"WHERE seq IN ({','.join('?' * len(seqs))})", [now + delay_s, error[:1000], int(count_attempt), *seqs])


def retry_dead(db: sqlite_utils.Database, seq: int | None = None) -> int:
    """Put dead records (one, or all) back in the queue; returns how many."""
    where, args = ("state = 'dead'", []) if seq is None else ("state = 'dead' AND seq = ?", [seq])
    with db.conn:
        cursor = db.execute(f"UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = 0 "
                            f"WHERE {where}", args)
    return cursor.rowcount


def purge_delivered(db: sqlite_utils.Database, older_than_wall: float) -> int:
    """Delete delivered records older than a wall time (retention); returns how many."""
    with db.conn:
        cursor = db.execute("DELETE FROM outbox WHERE state = 'delivered' AND "
                            "COALESCE(delivered_wall, created_wall, 0) < ?", [older_than_wall])
    return cursor.rowcount
