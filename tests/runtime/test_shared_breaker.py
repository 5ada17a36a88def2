"""A Redis that accepts but never answers (paused, swapping): after one timeout, the workers fall back
to their own memory at once until the presence beat's probe finds it back, instead of waiting
TIMEOUT_S on every call of every join."""

from __future__ import annotations

import socket

import redis

from classbox.runtime.shared import TIMEOUT_S, Shared


def test_a_hung_redis_is_not_waited_for_again_until_the_probe():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # accepts (the kernel's backlog), never answers
    try:
        client = redis.Redis(host="127.0.0.1", port=listener.getsockname()[1],
                             socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S)
        shared = Shared(client)
        tried: list[str] = []

        def ping(c):
            tried.append("ping")
            return c.ping()

        assert shared.run(ping, lambda: "memory") == "memory" and not shared.up
        for _ in range(10):  # a join's many calls while it hangs
            assert shared.run(ping, lambda: "memory") == "memory"
        assert tried == ["ping"], "every call waited on the hung Redis again"
        assert shared.run(ping, lambda: "memory", probe=True) == "memory"  # the beat still tries
        assert tried == ["ping", "ping"]
        client.close()
    finally:
        listener.close()
