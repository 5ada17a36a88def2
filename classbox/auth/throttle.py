"""Login throttling: too many failures for one login or from one address → wait."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Callable


class Throttle:
    """Counts failures in a sliding window per key; blocks a key past `limit` failures."""

    def __init__(self, limit: int = 5, window_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        times = self._failures[key]
        horizon = self.clock() - self.window_s
        while times and times[0] < horizon:
            times.popleft()
        return times

    def retry_after(self, *keys: str) -> float:
        """Seconds to wait before any of these keys may try again (0 if allowed)."""
        with self._lock:
            waits = []
            for key in keys:
                times = self._recent(key)
                if len(times) >= self.limit:
                    waits.append(times[0] + self.window_s - self.clock())
            return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        """Record one failure for each key."""
        with self._lock:
            now = self.clock()
            for key in keys:
                self._recent(key).append(now)

    def reset(self, *keys: str) -> None:
        """Forget the failures of these keys (after a success)."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
