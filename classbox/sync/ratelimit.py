"""A byte-rate cap (kbit/s) shared by uploads and downloads: a token bucket with an injected clock."""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterable, Iterator

CHUNK = 4096


class LinkClosed(Exception):
    """The sync must stop now (window closed or the agent stopping); resume later."""


class RateLimiter:
    """Token bucket in bytes; max_kbps = 0 means no cap."""

    def __init__(self, max_kbps: int = 0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, burst_s: float = 0.25):
        self.rate = max_kbps * 1000 / 8  # bytes per second
        self.clock = clock
        self.sleep = sleep
        self.capacity = max(self.rate * burst_s, CHUNK) if self.rate else 0.0
        self.tokens = self.capacity
        self.stamp = clock()
        self.lock = threading.Lock()
        self.should_stop: Callable[[], bool] = lambda: False

    def acquire(self, nbytes: int) -> None:
        """Wait until `nbytes` may go on the wire (raises LinkClosed if told to stop)."""
        if not self.rate:
            return
        with self.lock:
            while True:
                if self.should_stop():
                    raise LinkClosed("sync stopped")
                now = self.clock()
                self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                need = min(nbytes, self.capacity)
                if self.tokens >= need - 1e-6:
                    self.tokens -= nbytes
                    return
                self.sleep(min(0.5, max(0.001, (need - self.tokens) / self.rate)))

    def stream(self, data: bytes | Iterable[bytes], counter: Callable[[int], None] | None = None
               ) -> Iterator[bytes]:
        """Yield `data` in chunks no faster than the cap, counting the bytes sent."""
        chunks = [data] if isinstance(data, bytes) else data
        for block in chunks:
            if not self.rate:  # no cap: one write, still stoppable between blocks
                if self.should_stop():
                    raise LinkClosed("sync stopped")
                if counter:
                    counter(len(block))
                yield block
                continue
            for start in range(0, len(block), CHUNK):
                piece = block[start:start + CHUNK]
                if self.should_stop():
                    raise LinkClosed("sync stopped")
                self.acquire(len(piece))
                if counter:
                    counter(len(piece))
                yield piece
