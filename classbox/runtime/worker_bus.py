"""Requests between web workers over Redis, with replies: to every worker, or to the one holding a socket.

Each worker subscribes to `classbox:bus:all` and `classbox:bus:<its worker id>`. A request is a
PUBLISH of {id, kind, payload, from}; PUBLISH says how many workers received it, and each handler's
reply is pushed on the list `classbox:bus:reply:<id>` (expiring after REPLY_TTL_S), which the asker
reads with short BLPOPs until every receiver answered or its timeout. Uses: settling every worker's
answer journal before a teacher reads answers (`settle`, classroom/journal_settle.py), and a
teacher's answer to a tap-join takeover asked on another worker (classes/takeovers.py).
While Redis does not answer, `ask_all` and `ask` return None at once (runtime/shared.py's breaker).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any, Callable

from classbox.runtime.shared import Shared

log = logging.getLogger("classbox.worker_bus")
REPLY_TTL_S = 30
POLL_S = 0.2  # one BLPOP: well under the client's socket timeout (runtime/shared.py TIMEOUT_S)
RETRY_S = 1.0  # the subscription lost (Redis restarting): subscribe again after this


class WorkerBus:
    """This worker's end of the bus: handlers by kind, and requests to the others."""

    def __init__(self, shared: Shared, spawn: Callable[..., Any] | None = None) -> None:
        """`spawn`: runs each request's handler apart (a greenlet), so a slow one holds no other."""
        self.shared = shared
        self.spawn = spawn
        self.handlers: dict[str, Callable[[dict], dict]] = {}
        self.subscribed = False

    def on(self, kind: str, handler: Callable[[dict], dict]) -> None:
        """Answer requests of `kind` with handler(payload) (a JSON object)."""
        self.handlers[kind] = handler

    def channel(self, worker_id: str | None = None) -> str:
        """The channel of one worker (None: of every worker)."""
        return self.shared.key("bus", "all" if worker_id is None else worker_id)

    def listen_forever(self) -> None:
        """Serve requests to this worker (a background task), subscribing again after a Redis outage."""
        import redis

        while True:
            pubsub = self.shared.client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel(), self.channel(self.shared.worker_id))
                self.subscribed = True
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._received(message["data"])
            except (redis.RedisError, OSError, ValueError):
                self.subscribed = False
                time.sleep(RETRY_S)
            finally:
                try:
                    pubsub.close()
                except Exception:
                    pass

    def _received(self, data: bytes) -> None:
        try:
            request = json.loads(data)
            handler = self.handlers[request["kind"]]
        except (ValueError, KeyError, TypeError):
            log.warning("worker bus: unreadable request ignored: %.200r", data)
            return
        if self.spawn is not None:
            self.spawn(self._serve, request, handler)
        else:
            self._serve(request, handler)

    def _serve(self, request: dict, handler: Callable[[dict], dict]) -> None:
        try:
            reply = handler(request.get("payload") or {}) if request.get("from") != self.shared.worker_id \
                else {"ok": True, "self": True}  # the asker did its own part before asking
        except Exception as err:
            log.exception("worker bus: %s request failed", request.get("kind"))
            reply = {"ok": False, "error": type(err).__name__}
        key = self.shared.key("bus", "reply", request.get("id"))
        self.shared.run(lambda c: c.pipeline().rpush(key, json.dumps(reply)).expire(key, REPLY_TTL_S).execute(),
                        lambda: None)

    def ask_all(self, kind: str, payload: dict, timeout: float) -> tuple[int, list[dict]] | None:
        """(workers that received it, their replies) of a request to every worker; None if Redis fails."""
        return self._ask(None, kind, payload, timeout)

    def ask(self, worker_id: str, kind: str, payload: dict, timeout: float) -> tuple[int | None, dict | None]:
        """(workers that received it, its reply) of a request to one worker: (None, None) if Redis did not
        take it, (0, None) if that worker does not listen (gone), (1, None) if it did not reply in time."""
        asked = self._ask(worker_id, kind, payload, timeout)
        if asked is None:
            return None, None
        return asked[0], asked[1][0] if asked[1] else None

    def _ask(self, worker_id: str | None, kind: str, payload: dict, timeout: float
             ) -> tuple[int, list[dict]] | None:
        request_id = uuid.uuid4().hex
        message = json.dumps({"id": request_id, "kind": kind, "payload": payload, "from": self.shared.worker_id})
        receivers = self.shared.run(lambda c: int(c.publish(self.channel(worker_id), message)), lambda: None)
        if receivers is None:
            return None
        key = self.shared.key("bus", "reply", request_id)
        replies: list[dict] = []
        deadline = time.monotonic() + timeout
        while len(replies) < receivers:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            got = self.shared.run(lambda c: c.blpop([key], timeout=max(0.01, min(POLL_S, left))), lambda: False,
                                  writes=False)
            if got is False:  # Redis stopped answering meanwhile
                break
            if got:
                replies.append(json.loads(got[1]))
        self.shared.run(lambda c: c.delete(key), lambda: None)
        return receivers, replies


def worker_bus(shared: Shared | None) -> WorkerBus | None:
    """This worker's bus, listening in a background task (None with one worker)."""
    if shared is None:
        return None
    from classbox.extensions import socketio

    bus = WorkerBus(shared, socketio.start_background_task)
    socketio.start_background_task(bus.listen_forever)
    return bus
