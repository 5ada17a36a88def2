"""Token buckets kept in Redis, so that N web workers give one budget, not N (RateLimiter's twin)."""

from __future__ import annotations

import time
from typing import Any, Callable

from classbox.classroom.ratelimit import RateLimiter
from classbox.runtime.shared import Shared

# KEYS[1] the bucket; ARGV capacity, per second, tokens to spend (0: only look). Redis's clock:
# the same for every worker. Returns 1 if allowed (or, looking, if not blocked).
BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local capacity, rate, spend = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local saved = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(saved[1]) or capacity
local at = tonumber(saved[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
if spend == 0 then
  if tokens < 1 then return 0 end
  return 1
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - spend
  allowed = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return allowed
"""


class SharedRateLimiter:
    """`capacity` events at once, then `per_s` a second, per key, counted by every worker together."""

    def __init__(self, shared: Shared, name: str, capacity: float, per_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.shared, self.name, self.capacity, self.per_s = shared, name, capacity, per_s
        self.local = RateLimiter(capacity, per_s, clock)  # while Redis does not answer: this worker's budget
        self._script = shared.client.register_script(BUCKET)

    def _key(self, key: str) -> str:
        return self.shared.key("limit", self.name, key)

    def allow(self, key: str) -> bool:
        """Spend one token of `key`; False when its bucket is empty."""
        return self.shared.run(lambda _: bool(self._script([self._key(key)], [self.capacity, self.per_s, 1])),
                               lambda: self.local.allow(key))

    def blocked(self, key: str) -> bool:
        """Whether `key`'s bucket is empty now (nothing spent)."""
        if self.local.blocked(key):  # spent here while Redis refused writes (full, stopped)
            return True
        return self.shared.run(lambda _: not self._script([self._key(key)], [self.capacity, self.per_s, 0]),
                               lambda: False, writes=False)

    def forget(self, key: str) -> None:
        self.local.forget(key)
        self.shared.run(lambda client: client.delete(self._key(key)), lambda: None)

    def forget_prefix(self, prefix: str) -> None:
        """Refill every bucket whose key starts with `prefix`."""
        self.local.forget_prefix(prefix)

        def drop(client: Any) -> None:
            pattern = self._key(_glob_escape(prefix)) + "*"
            for found in client.scan_iter(match=pattern, count=500):
                client.delete(found)
        self.shared.run(drop, lambda: None)


def _glob_escape(text: str) -> str:
    """`text` matched literally by a Redis glob pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def rate_limiter(shared: Shared | None, name: str, capacity: float, per_s: float,
                 clock: Callable[[], float] = time.monotonic) -> RateLimiter | SharedRateLimiter:
    """A limiter every worker shares (several workers), or this process's own (one worker)."""
    if shared is None:
        return RateLimiter(capacity, per_s, clock)
    return SharedRateLimiter(shared, name, capacity, per_s, clock)
