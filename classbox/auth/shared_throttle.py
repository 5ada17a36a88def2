"""The login guard of several web workers: failures counted in Redis, so N workers do not give N× the guesses."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from classbox.auth.throttle import LoginGuard
from classbox.runtime.shared import Shared


class SharedLoginGuard(LoginGuard):
    """LoginGuard whose failures and global brake live in Redis (this worker's memory while Redis is down)."""

    def __init__(self, shared: Shared, **settings: Any) -> None:
        super().__init__(**settings)
        self.shared = shared
        self.wall = time.time  # every worker's clock: the box's

    def _key(self, *parts: str) -> str:
        return self.shared.key("login", json.dumps(parts, ensure_ascii=False))

    def _remote_wait(self, client: Any, parts: tuple[str, ...], free: int, now: float) -> float:
        count, last = client.hmget(self._key(*parts), "count", "last")
        if count is None or last is None:
            return 0.0
        return max(0.0, float(last) + self._delay(int(count), free) - now)

    def retry_after(self, login: str, address: str) -> float:
        """Seconds this device must wait before trying this login again, counted over every worker."""
        here = super().retry_after(login, address)  # failures counted here while Redis refused them

        def wait(client: Any) -> float:
            now = self.wall()
            return max(here, self._remote_wait(client, (login, address), self.free, now),
                       self._remote_wait(client, (address,), self.address_free, now))
        return self.shared.run(wait, lambda: here, writes=False)

    def failed(self, login: str, address: str) -> None:
        """Count one failed login of this device, for every worker."""
        def count(client: Any) -> None:
            now, pipe = self.wall(), client.pipeline()
            for parts in ((login, address), (address,)):  # forgotten forget_s after the last failure
                key = self._key(*parts)
                pipe.hincrby(key, "count", 1).hset(key, "last", repr(now)).expire(key, int(self.forget_s) + 1)
            recent = self.shared.key("login-recent")
            pipe.zadd(recent, {uuid.uuid4().hex: now}).zremrangebyscore(recent, "-inf", now - self.brake_window_s)
            pipe.zremrangebyrank(recent, 0, -2 * self.brake_threshold - 1).expire(recent, int(self.brake_window_s) + 1)
            pipe.execute()
        self.shared.run(count, lambda: super(SharedLoginGuard, self).failed(login, address))

    def succeeded(self, login: str, address: str) -> None:
        """Forget the failures of this login on this device, on every worker."""
        super().succeeded(login, address)
        self.shared.run(lambda client: client.delete(self._key(login, address)), lambda: None)

    def brake(self) -> float:
        """brake_s while failures box-wide (every worker's) exceed the threshold."""
        here = super().brake()

        def recent(client: Any) -> float:
            found = client.zcount(self.shared.key("login-recent"), self.wall() - self.brake_window_s, "+inf")
            return max(here, self.brake_s if found > self.brake_threshold else 0.0)
        return self.shared.run(recent, lambda: here, writes=False)


def login_guard_for(shared: Shared | None) -> LoginGuard:
    """The guard of this app: shared by the workers through Redis, or this process's own."""
    return LoginGuard() if shared is None else SharedLoginGuard(shared)
