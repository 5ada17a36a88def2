"""Retry policy: which failures are transient, and capped exponential backoff with equal jitter.

The first retry waits [sync] retry_base_s (30 s, the pass interval), then the wait doubles up to
an hour; each wait is drawn between half its ceiling and the ceiling. A transient failure (the
uplink down, the ENT restarting) seldom heals within seconds, and every attempt costs a commit on
the SD card: about 5 attempts in the first ten minutes of an outage, then one an hour.
"""

from __future__ import annotations

import email.utils
import random
import time

BASE_S = 30.0
CAP_S = 3600.0


class Transient(Exception):
    """A failure worth retrying later (network, timeout, 5xx, 429, a closed window)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Permanent(Exception):
    """A failure retrying cannot fix (a 4xx other than 408/429): the record goes dead."""


def is_transient_status(status: int) -> bool:
    """5xx, 408 and 429 are worth retrying; other 4xx are not."""
    return status >= 500 or status in (408, 425, 429)


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), CAP_S)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(0.0, when - (time.time() if now is None else now)), CAP_S)


def backoff_s(attempts: int, base: float = BASE_S, cap: float = CAP_S,
              rng: random.Random | None = None) -> float:
    """Equal-jitter delay before retry number `attempts` (1-based): uniform(c/2, c), c = min(cap, base·2^n)."""
    ceiling = min(cap, base * (2 ** min(max(attempts - 1, 0), 30)))
    return (rng or random).uniform(ceiling / 2, ceiling)


def next_delay(attempts: int, retry_after: float | None, cap: float = CAP_S,
               rng: random.Random | None = None, base: float = BASE_S) -> float:
    """The delay before the next attempt: the server's Retry-After wins over our backoff."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    return backoff_s(attempts, base=base, cap=cap, rng=rng)
