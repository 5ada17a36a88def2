"""The Redis message queue that joins several web workers: Flask-SocketIO's supported way across processes.

Each worker's Socket.IO server hands every emit to python-socketio's RedisManager, which publishes
it on one Redis channel; every worker listens there and delivers it to its own sockets in the room.
One worker (`classbox serve`, a 1 GB Pi) needs no queue and uses none.
"""

from __future__ import annotations

from typing import Any, Mapping

from classbox.config import ConfigError

CHANNEL = "classbox-socketio"
CONNECT_TIMEOUT_S = 3.0
RETRY_S = 1.0  # the listening connection lost (Redis restarting): read again after this


def client_manager(web: Mapping[str, Any]) -> Any:
    """The Socket.IO client manager for [web]: a RedisManager when a queue is set, else None (one process)."""
    url = web["message_queue"]
    if not url:
        return None
    return _redis_manager()(url, channel=CHANNEL,
                            redis_options={"socket_connect_timeout": CONNECT_TIMEOUT_S, "health_check_interval": 30})


def _redis_manager() -> type:
    """python-socketio's RedisManager, listening on one PubSub for good (its own makes a new one after an error)."""
    import time

    import socketio

    class RedisManager(socketio.RedisManager):
        """When the listening connection drops, redis-py connects it again and subscribes it again itself,
        before it raises: a new PubSub in its place would leave that subscription unread a moment, and
        the emits of the other workers published to it meanwhile lost."""

        def _redis_listen_with_retries(self):  # pragma: no cover (a real Redis: tests/runtime)
            pubsub = None
            while True:
                try:
                    if pubsub is None or not pubsub.channels:
                        self._redis_connect()
                        pubsub = self.pubsub
                        pubsub.subscribe(self.channel)
                    yield from pubsub.listen()
                except Exception as exc:
                    self._get_logger().error("Cannot receive from redis... retrying in %s secs (%s)",
                                             RETRY_S, exc)
                    time.sleep(RETRY_S)

    return RedisManager


def check_reachable(web: Mapping[str, Any]) -> None:
    """Before the workers start: a configured queue answers PING, else a one-line ConfigError."""
    url = web["message_queue"]
    if not url:
        return
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S)
    try:
        client.ping()
    except redis.RedisError as err:
        raise ConfigError(f"[web] message_queue: Redis at {url} does not answer ({err}); "
                          f"{web['workers']} workers need it (or set [web] workers = 1)") from None
    finally:
        client.close()
