"""The Redis several web workers share their live state through (presence, rate limits), or none for one.

One worker (`classbox serve`, a 1 GB Pi) keeps everything in its memory, exactly as before. With
several, each piece of live state asks Redis and falls back to this worker's memory while Redis
does not answer (stopped, full, restarting): each worker goes on serving its own sockets with
per-worker state, and `up` says so to health.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from typing import Any, Callable, Mapping, TypeVar

log = logging.getLogger("classbox.shared")
T = TypeVar("T")
TIMEOUT_S = 0.5  # a stopped Redis must not stall a class: fall back to this worker's memory
RETRY_S = 5.0  # after a failure, calls fall back at once for this long; the presence beat probes


class Shared:
    """A Redis client with fallback: `run(fn, fallback)` and whether Redis answered last time."""

    def __init__(self, client: Any, prefix: str = "classbox:") -> None:
        self.client = client
        self.prefix = prefix
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"  # made after the fork: one per worker
        self.up = True
        self.failed_at = 0.0  # time.monotonic() of the last failure (the breaker)
        self.down_since: float | None = None  # wall clock when Redis stopped answering (None: it answers)
        self.on_restore: list[Callable[[float], None]] = []  # called with down_since when it answers again
        self._lock = threading.Lock()

    def key(self, *parts: Any) -> str:
        """A Redis key of this box: `classbox:<part>:<part>…`."""
        return self.prefix + ":".join(str(p) for p in parts)

    def run(self, fn: Callable[[Any], T], fallback: Callable[[], T], writes: bool = True,
            probe: bool = False) -> T:
        """fn(client), or fallback() while Redis fails (logged once per outage); only a write that
        succeeds says Redis is back (a full Redis still answers reads). For RETRY_S after a failure
        only a `probe` (the presence beat) asks Redis: a hung one costs one timeout, not one per call."""
        import redis

        if not self.up and not probe and time.monotonic() - self.failed_at < RETRY_S:
            return fallback()
        try:
            result = fn(self.client)
        except (redis.RedisError, OSError) as err:
            self.failed_at = time.monotonic()
            self._went_down(err)
            return fallback()
        if writes and not self.up:
            self._came_back()
        return result

    def _went_down(self, err: Exception) -> None:
        with self._lock:
            was_up, self.up = self.up, False
            if was_up:
                self.down_since = time.time()
        if was_up:
            log.warning("Redis does not answer (%s): each web worker keeps its own live state until it does", err)

    def _came_back(self) -> None:
        with self._lock:
            was_down, self.up = not self.up, True
            since, self.down_since = self.down_since, None
        if was_down:
            log.warning("Redis answers again: live state is shared between the web workers again")
            for callback in list(self.on_restore):
                try:
                    callback(since if since is not None else time.time())
                except Exception:
                    log.exception("catching up after Redis came back failed")


def shared_state(web: Mapping[str, Any]) -> Shared | None:
    """The shared Redis for [web]: None with one worker (or no queue), so everything stays in memory."""
    if web["workers"] <= 1 or not web["message_queue"]:
        return None
    import redis

    client = redis.Redis.from_url(web["message_queue"], socket_connect_timeout=TIMEOUT_S,
                                  socket_timeout=TIMEOUT_S, health_check_interval=30)
    return Shared(client)
