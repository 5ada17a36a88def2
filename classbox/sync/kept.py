"""Failed retries that changed nothing, kept in memory to spare the SD card.

While the ENT stays out of reach, the agent probes it with the head record of the target's queue
(head-of-line: nothing after it goes). A probe that fails with the error already stored on that
record and in the sync status, with no byte on the wire, changes nothing a reader relies on but
the attempt count and the time of the next retry: those are kept here, not committed. They are
written down with the next commit of that target (a delivery, a new error), at least once an hour
(`WRITE_DOWN_S`) and when the agent stops cleanly. A power cut loses at most an hour of attempt
counts: the record is retried once at the next start, then backs off again (docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from classbox.sync import outbox, status

WRITE_DOWN_S = 3600.0


@dataclass
class Kept:
    """The head record's attempts and next retry, newer than its row."""

    seq: int
    attempts: int
    next_attempt_at: float
    since: float  # when the first attempt not written down was made


class KeptRetries:
    """Per target, the head record's unwritten attempt count and next retry."""

    def __init__(self, write_down_s: float = WRITE_DOWN_S) -> None:
        self.write_down_s = write_down_s
        self.by_target: dict[str, Kept] = {}

    def _head(self, db: sqlite_utils.Database, target: str) -> tuple[int, str | None] | None:
        return db.execute("SELECT seq, last_error FROM outbox WHERE state = 'pending' AND target = ? "
                          "ORDER BY seq LIMIT 1", [target]).fetchone()

    def current(self, db: sqlite_utils.Database, target: str) -> Kept | None:
        """What is kept for a target, if its record is still the head of the queue (else forgotten:
        delivered, erased, or a dead record put back before it)."""
        kept = self.by_target.get(target)
        if kept is not None:
            head = self._head(db, target)
            if head is None or head[0] != kept.seq:
                del self.by_target[target]
                return None
        return kept

    def waiting(self, db: sqlite_utils.Database, target: str, now: float) -> bool:
        """True while a kept head record waits for its retry."""
        kept = self.current(db, target)
        return kept is not None and not outbox.is_due(kept.next_attempt_at, now)

    def count(self, target: str, records: list[outbox.OutboxRecord]) -> None:
        """Claimed records: the head's attempt number continues the kept count."""
        kept = self.by_target.get(target)
        if kept is not None and records and records[0].seq == kept.seq:
            records[0].attempts = kept.attempts + 1

    def keep(self, db: sqlite_utils.Database, target: str, record: outbox.OutboxRecord, error: str,
             delay_s: float, now: float) -> bool:
        """A failed probe of the head (no byte on the wire): True if it changed nothing but the
        count and the next retry, now kept here; False if it must be written (new error, an hour)."""
        head = self._head(db, target)
        noted = (status.load(db).get("targets", {}).get(target) or {}).get("last_error") or {}
        if head is None or head[0] != record.seq or head[1] != error[:1000] or noted.get("message") != error[:500]:
            return False
        kept = self.by_target.get(target)
        since = kept.since if kept is not None and kept.seq == record.seq else now
        if now - since >= self.write_down_s:
            return False
        self.by_target[target] = Kept(record.seq, record.attempts, now + delay_s, since)
        return True

    def write_down(self, db: sqlite_utils.Database, target: str | None = None) -> None:
        """Write the kept counts (one target's, or all) into their rows, inside the caller's transaction."""
        for name in [target] if target is not None else list(self.by_target):
            kept = self.by_target.pop(name, None)
            if kept is not None:
                db.execute("UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE seq = ? AND state = 'pending'",
                           [kept.attempts, kept.next_attempt_at, kept.seq])

    def next_due(self) -> dict[str, float]:
        """Each target's kept next retry."""
        return {name: kept.next_attempt_at for name, kept in self.by_target.items()}
