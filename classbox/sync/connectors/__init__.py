"""Connectors: one adapter per remote (xAPI LRS, WebDAV workspace) behind a small Protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from classbox.sync.outbox import OutboxRecord


@dataclass(frozen=True)
class Outcome:
    """What became of one record: delivered, dead (permanent) or retry (transient)."""

    status: str
    error: str = ""
    retry_after: float | None = None
    bytes: int = 0

    @classmethod
    def delivered(cls, nbytes: int = 0) -> "Outcome":
        return cls("delivered", bytes=nbytes)

    @classmethod
    def dead(cls, error: str) -> "Outcome":
        return cls("dead", error)

    @classmethod
    def retry(cls, error: str, retry_after: float | None = None) -> "Outcome":
        return cls("retry", error, retry_after)


class Connector(Protocol):
    """Delivers a target's records, in order.

    `deliver` returns one Outcome per record for a prefix of `records`, in order; it stops
    at the first "retry" (the records after it were not attempted and stay pending).
    """

    kind: str
    target: str
    batch_size: int
    probe_url: str  # any answer's Date header dates the box before the first record is built

    def deliver(self, records: list[OutboxRecord]) -> list[Outcome]:
        """Try to deliver these records (same target, seq order)."""
