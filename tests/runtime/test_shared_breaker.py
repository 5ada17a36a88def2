"""A Redis that accepts but never answers (paused, swapping): after one timeout, the workers fall back
to their own memory at once until the presence beat's probe finds it back, instead of waiting
TIMEOUT_S on every call of every join."""

from __future__ import annotations

import socket

from classbox.runtime.shared import shared_state


def test_a_hung_redis_is_not_waited_for_again_until_the_probe():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # accepts (the kernel's backlog), never answers
    try:
        # the client the web workers make (TIMEOUT_S, no retries): a bare redis.Redis() retries thrice
        # with backoff, about 9 s a call, which no worker would wait
        shared = shared_state({"workers": 2, "message_queue": f"redis://127.0.0.1:{listener.getsockname()[1]}/0"})
        assert shared is not None
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
        shared.client.close()
    finally:
        listener.close()
