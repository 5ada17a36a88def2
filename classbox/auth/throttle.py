"""Login throttling: growing delays per (login, device) and per device, a global brake, never a lock.

A device that guesses one login waits longer after each failure; the account's owner on another
device is not concerned. A device that guesses many logins waits too. Guessing spread over many
devices trips a global brake that adds a short delay to every attempt: it slows, it never refuses.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Callable


class LoginGuard:
    """Failed logins counted per (login, address) and per address; delays double after a few."""

    def __init__(self, free: int = 5, address_free: int = 30, base_s: float = 1.0, cap_s: float = 300.0,
                 forget_s: float = 900.0, brake_threshold: int = 60, brake_window_s: float = 60.0,
                 brake_s: float = 1.0, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] | None = None) -> None:
        self.free, self.address_free = free, address_free
        self.base_s, self.cap_s, self.forget_s = base_s, cap_s, forget_s
        self.brake_threshold, self.brake_window_s, self.brake_s = brake_threshold, brake_window_s, brake_s
        self.max_keys = max_keys
        self.clock = clock
        self.sleep = sleep or (lambda seconds: time.sleep(seconds))  # looked up late: gevent patches it
        self._failures: OrderedDict[tuple[str, ...], tuple[int, float]] = OrderedDict()  # (count, last)
        self._recent: deque[float] = deque()  # every failure of the last brake window
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._failures)

    def _delay(self, count: int, free: int) -> float:
        if count < free:
            return 0.0
        return min(self.cap_s, self.base_s * 2.0 ** (count - free))

    def _wait(self, key: tuple[str, ...], free: int, now: float) -> float:
        count, last = self._failures.get(key, (0, 0.0))
        if count == 0 or now - last > self.forget_s:
            return 0.0
        return max(0.0, last + self._delay(count, free) - now)

    def retry_after(self, login: str, address: str) -> float:
        """Seconds this device must wait before trying this login again (0: it may try now)."""
        with self._lock:
            now = self.clock()
            return max(self._wait((login, address), self.free, now),
                       self._wait((address,), self.address_free, now))

    def failed(self, login: str, address: str) -> None:
        """Count one failed login of this device."""
        with self._lock:
            now = self.clock()
            for key in ((login, address), (address,)):
                count, last = self._failures.pop(key, (0, 0.0))
                self._failures[key] = (1 if now - last > self.forget_s else count + 1, now)
            while len(self._failures) > self.max_keys:  # oldest first: random logins cannot fill memory
                self._failures.popitem(last=False)
            self._recent.append(now)
            self._trim(now)

    def succeeded(self, login: str, address: str) -> None:
        """Forget the failures of this login on this device."""
        with self._lock:
            self._failures.pop((login, address), None)

    def _trim(self, now: float) -> None:
        while self._recent and (self._recent[0] < now - self.brake_window_s
                                or len(self._recent) > self.brake_threshold * 2):
            self._recent.popleft()

    def brake(self) -> float:
        """The delay every attempt pays now: brake_s while failures box-wide exceed the threshold."""
        with self._lock:
            self._trim(self.clock())
            return self.brake_s if len(self._recent) > self.brake_threshold else 0.0

    def slow_down(self) -> None:
        """Pay the global brake's delay, if any (a cooperative sleep under gevent)."""
        delay = self.brake()
        if delay > 0:
            self.sleep(delay)
