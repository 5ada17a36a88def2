"""Token buckets per key (a device connection, an address): floods are refused, bursts allowed."""

from __future__ import annotations

import threading
import time
from typing import Callable


class RateLimiter:
    """`capacity` events at once, then `per_s` events per second, for each key."""

    def __init__(self, capacity: float, per_s: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 20_000) -> None:
        self.capacity, self.per_s, self.clock, self.max_keys = capacity, per_s, clock, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Spend one token of `key`; False when its bucket is empty."""
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.per_s)
            if len(self._buckets) >= self.max_keys and key not in self._buckets:
                self._forget_full(now)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            return True

    def blocked(self, key: str) -> bool:
        """Whether `key`'s bucket is empty now (nothing spent)."""
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, self.clock()))
            return min(self.capacity, tokens + (self.clock() - last) * self.per_s) < 1

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled (they hold no information)."""
        for key, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * self.per_s >= self.capacity:
                del self._buckets[key]

    def forget(self, key: str) -> None:
        with self._lock:
            self._buckets.pop(key, None)

    def forget_prefix(self, prefix: str) -> None:
        """Refill every bucket whose key starts with `prefix`."""
        with self._lock:
            for key in [k for k in self._buckets if k.startswith(prefix)]:
                del self._buckets[key]
