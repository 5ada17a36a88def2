"""Tap-join takeovers waiting for a teacher: in this worker's memory, or in Redis for several web workers.

With several workers the request lives in a Redis hash per session (`classbox:takeover:<session>`,
request id → the request and the asking worker's id), so a teacher's socket on any worker lists and
takes it; the answer is then forwarded to the asking worker (classes/join_events.py over
runtime/worker_bus.py), which holds the new device's socket. Requests are dated by the box's
monotonic clock (CLOCK_MONOTONIC: one clock for every worker of the box, which a wall clock step,
such as a Pi setting its time after booting in 1970, does not move). The hashes have no Redis expiry
(Redis dates those on its wall clock): the expired requests of every session, with the pupils' names,
are deleted whenever a device asks or a teacher's screen lists, and an erased member's at once
(`forget_takeovers`); Redis keeps nothing on disk (a reboot empties it).
While Redis does not answer, requests are kept in this worker's memory, as with one worker.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict
from typing import Any, Callable

from classbox.classroom.errors import ClassroomError
from classbox.runtime.shared import Shared

MAX_PENDING = 30  # takeover requests waiting for one session's teacher
PENDING_TTL_S = 600


def expired(created: float, now: float) -> bool:
    """Whether a request dated `created` is past PENDING_TTL_S (or dated ahead: from before the box rebooted)."""
    return not 0 <= now - created <= PENDING_TTL_S


def gives_way(old_sid: str, old_created: float, request: Any, now: float) -> bool:
    """Whether a kept request is dropped when `request` is added: the same socket asks again, or it expired."""
    return old_sid == request.sid or expired(old_created, now)


class Takeovers:
    """The takeovers of one worker, oldest first per session (`clock` dates them)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.pending: dict[str, Any] = {}
        self._lock = threading.Lock()

    def add(self, request: Any) -> None:
        """Keep a new request (dated now); an older one of the same socket is dropped; rate_limited past MAX_PENDING."""
        request.created = self.clock()
        self._keep(request)

    def put_back(self, request: Any) -> None:
        """Keep again a taken request whose answer could not be delivered, at its place (its date kept;
        never rate_limited: it was counted when asked)."""
        self._keep(request, limit=False)

    def _keep(self, request: Any, limit: bool = True) -> None:
        now = self.clock()
        with self._lock:
            for key, old in list(self.pending.items()):
                if gives_way(old.sid, old.created, request, now):
                    del self.pending[key]
            if limit and sum(1 for p in self.pending.values() if p.session_id == request.session_id) >= MAX_PENDING:
                raise ClassroomError("rate_limited", "takeovers")
            self.pending[request.id] = request

    def waiting(self, session_id: int) -> list[Any]:
        """This session's requests, oldest first."""
        now = self.clock()
        with self._lock:
            return sorted((p for p in self.pending.values() if p.session_id == session_id
                           and not expired(p.created, now)), key=lambda p: p.created)

    def take(self, request_id: str, session_id: int) -> Any | None:
        """Remove and return a request of this session (None: unknown, or already taken)."""
        with self._lock:
            request = self.pending.get(request_id)
            if request is None or request.session_id != session_id:
                return None
            return self.pending.pop(request_id)


class SharedTakeovers(Takeovers):
    """Takeovers every worker sees, in Redis (this worker's memory while Redis fails)."""

    def __init__(self, shared: Shared, make: Callable[..., Any], clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)  # the box's monotonic clock: the same in every worker process
        self.shared, self.make = shared, make

    def _key(self, session_id: int) -> str:
        return self.shared.key("takeover", session_id)

    def add(self, request: Any) -> None:
        request.worker = self.shared.worker_id
        super().add(request)

    def _keep(self, request: Any, limit: bool = True) -> None:
        now = self.clock()
        key = self._key(request.session_id)

        def store(client: Any) -> bool:
            self._sweep(client, now)
            kept = 0
            for field, value in client.hgetall(key).items():
                old = json.loads(value)
                if gives_way(old["sid"], old["created"], request, now):
                    client.hdel(key, field)
                else:
                    kept += 1
            if limit and kept >= MAX_PENDING:
                return False
            client.hset(key, request.id, json.dumps(asdict(request)))
            return True

        if not self.shared.run(store, lambda: super(SharedTakeovers, self)._keep(request, limit) or True):
            raise ClassroomError("rate_limited", "takeovers")

    def waiting(self, session_id: int) -> list[Any]:
        now = self.clock()

        def read(client: Any) -> list[Any]:
            self._sweep(client, now)
            return [self.make(**json.loads(v)) for v in client.hvals(self._key(session_id))]
        shared = self.shared.run(read, lambda: [])
        return sorted([*shared, *super().waiting(session_id)], key=lambda r: r.created)

    def _sweep(self, client: Any, now: float) -> None:
        """Delete the expired requests of every session (Redis deletes a hash left empty)."""
        for key in client.scan_iter(self.shared.key("takeover", "*")):
            old = [f for f, v in client.hgetall(key).items() if expired(json.loads(v)["created"], now)]
            if old:
                client.hdel(key, *old)

    def take(self, request_id: str, session_id: int) -> Any | None:
        here = super().take(request_id, session_id)
        if here is not None:
            return here
        key = self._key(session_id)

        def pop(client: Any) -> Any | None:
            value = client.hget(key, request_id)
            if value is None or not client.hdel(key, request_id):  # another teacher socket took it first
                return None
            return self.make(**json.loads(value))
        return self.shared.run(pop, lambda: None)


def takeovers_for(shared: Shared | None, make: Callable[..., Any], clock: Callable[[], float]) -> Takeovers:
    """Takeovers in Redis for several workers, in memory for one."""
    return Takeovers(clock) if shared is None else SharedTakeovers(shared, make, clock)


def forget_takeovers(shared: Shared, client: Any, member_ids: list[str]) -> None:
    """Drop the waiting requests of erased members (their names and pictures) from every session."""
    for key in client.scan_iter(shared.key("takeover", "*")):
        gone = [f for f, v in client.hgetall(key).items() if json.loads(v)["member_id"] in member_ids]
        if gone:
            client.hdel(key, *gone)
