"""Requests between web workers over Redis, with replies: to every worker, or to the one holding a socket.

Each worker subscribes to `classbox:bus:all` and `classbox:bus:<its worker id>`. A request is a
PUBLISH of {id, kind, payload, from}; PUBLISH says how many workers received it, and each handler's
reply is pushed on the list `classbox:bus:reply:<id>` (expiring after REPLY_TTL_S), which the asker
reads with short BLPOPs until every receiver answered or its timeout. Uses: settling every worker's
answer journal before a teacher reads answers (`settle`, classroom/journal_settle.py), and a
teacher's answer to a tap-join takeover asked on another worker (classes/takeovers.py).
While Redis does not answer, `ask_all` and `ask` return None at once (runtime/shared.py's breaker).

Whoever can PUBLISH to the box's Redis can send anything: a message is read only if it is at most
MAX_MESSAGE_BYTES of JSON with the request's shape (`Request.parse`), of a kind this worker serves, on a
channel that kind may come from (`direct`: this worker's own channel only); each kind's handler owns its
payload's shape and raises `Malformed` for one it cannot read. Anything else is logged and dropped (no
handler runs), and the listener goes on.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from classbox.runtime.shared import Shared

log = logging.getLogger("classbox.worker_bus")
REPLY_TTL_S = 30
POLL_S = 0.2  # one BLPOP: well under the client's socket timeout (runtime/shared.py TIMEOUT_S)
RETRY_S = 1.0  # the subscription lost (Redis restarting): subscribe again after this
MAX_MESSAGE_BYTES = 64 * 1024  # a takeover with a long name is < 2 KB: anything much larger is not ours
_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex: the asker's request id, part of the reply key
_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")  # a kind, a worker id


class Malformed(ValueError):
    """A bus message (or its payload) that does not have the shape of a request."""


@dataclass(frozen=True)
class Request:
    """One request read from the bus."""

    id: str
    kind: str
    payload: dict
    sender: str

    @classmethod
    def parse(cls, data: Any) -> "Request":
        """The request a message holds; Malformed if it is not one."""
        if not isinstance(data, (bytes, str)) or len(data) > MAX_MESSAGE_BYTES:
            raise Malformed(f"not a message of at most {MAX_MESSAGE_BYTES} bytes")
        try:
            fields = json.loads(data)
        except (ValueError, RecursionError) as err:
            raise Malformed(f"not JSON: {err}") from None
        if not isinstance(fields, dict) or set(fields) != {"id", "kind", "payload", "from"}:
            raise Malformed("not an object of id, kind, payload, from")
        request = cls(fields["id"], fields["kind"], fields["payload"], fields["from"])
        if not (isinstance(request.id, str) and _ID.fullmatch(request.id) and isinstance(request.kind, str)
                and _NAME.fullmatch(request.kind) and isinstance(request.sender, str)
                and _NAME.fullmatch(request.sender) and isinstance(request.payload, dict)):
            raise Malformed("a field of the wrong type or form")
        return request


class WorkerBus:
    """This worker's end of the bus: handlers by kind, and requests to the others."""

    def __init__(self, shared: Shared, spawn: Callable[..., Any] | None = None) -> None:
        """`spawn`: runs each request's handler apart (a greenlet), so a slow one holds no other."""
        self.shared = shared
        self.spawn = spawn
        self.handlers: dict[str, Callable[[dict], dict]] = {}
        self.direct: set[str] = set()
        self.subscribed = False
        self.dropped = 0  # messages read and dropped (malformed, unknown kind, wrong channel)

    def on(self, kind: str, handler: Callable[[dict], dict], direct: bool = False) -> None:
        """Answer requests of `kind` with handler(payload) (a JSON object; Malformed if it cannot read it);
        `direct`: only those sent to this worker alone (its own channel), never to every worker."""
        self.handlers[kind] = handler
        if direct:
            self.direct.add(kind)

    def channel(self, worker_id: str | None = None) -> str:
        """The channel of one worker (None: of every worker)."""
        return self.shared.key("bus", "all" if worker_id is None else worker_id)

    def listen_forever(self) -> None:
        """Serve requests to this worker (a background task), subscribing again after a Redis outage."""
        import redis

        # One PubSub for good: when its connection drops, redis-py connects it again and subscribes it
        # again itself, before it raises. A new PubSub in its place would leave that subscription
        # unread for a moment, and the requests PUBLISHed to it lost (PUBLISH counted them as received).
        pubsub = self.shared.client.pubsub(ignore_subscribe_messages=True)
        while True:
            try:
                if not pubsub.channels:
                    pubsub.subscribe(self.channel(), self.channel(self.shared.worker_id))
                message = pubsub.get_message(timeout=1.0)
                self.subscribed = True
                if message is not None and message.get("type") == "message":
                    self._received_safely(message)
            except (redis.RedisError, OSError, ValueError):
                self.subscribed = False
                time.sleep(RETRY_S)

    def _received_safely(self, message: dict) -> None:
        try:
            self._received(message.get("data"), message.get("channel"))
        except Exception:  # whatever one message holds, the listener serves the next
            log.exception("worker bus: message not served")

    def _received(self, data: Any, channel: Any = None) -> None:
        """Serve one message read on `channel` (bytes or str; None: this worker's own), or drop it."""
        try:
            request = Request.parse(data)
            if request.kind not in self.handlers:
                raise Malformed(f"unknown kind {request.kind}")
            if request.kind in self.direct and channel not in (None, self.channel(self.shared.worker_id),
                                                               self.channel(self.shared.worker_id).encode()):
                raise Malformed(f"{request.kind} sent to every worker, not to this one")
        except Malformed as err:
            self.dropped += 1
            log.warning("worker bus: message dropped (%s): %.120r", err, data)
            return
        handler = self.handlers[request.kind]
        if self.spawn is not None:
            self.spawn(self._serve, request, handler)
        else:
            self._serve(request, handler)

    def _serve(self, request: Request, handler: Callable[[dict], dict]) -> None:
        try:
            reply = handler(request.payload) if request.sender != self.shared.worker_id \
                else {"ok": True, "self": True}  # the asker did its own part before asking
        except Malformed as err:
            self.dropped += 1
            log.warning("worker bus: %s request dropped (%s)", request.kind, err)
            reply = {"ok": False, "error": "malformed"}
        except Exception as err:
            log.exception("worker bus: %s request failed", request.kind)
            reply = {"ok": False, "error": type(err).__name__}
        key = self.shared.key("bus", "reply", request.id)
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
                replies.append(_reply(got[1]))
        self.shared.run(lambda c: c.delete(key), lambda: None)
        return receivers, replies


def _reply(data: Any) -> dict:
    """A reply read from its list: a JSON object, else one that says it is not (never an exception)."""
    try:
        reply = json.loads(data) if len(data) <= MAX_MESSAGE_BYTES else None
    except (ValueError, TypeError, RecursionError):
        reply = None
    if not isinstance(reply, dict):
        log.warning("worker bus: unreadable reply: %.120r", data)
        return {"ok": False, "error": "malformed"}
    return reply


def worker_bus(shared: Shared | None) -> WorkerBus | None:
    """This worker's bus, listening in a background task (None with one worker)."""
    if shared is None:
        return None
    from classbox.extensions import socketio

    bus = WorkerBus(shared, socketio.start_background_task)
    socketio.start_background_task(bus.listen_forever)
    return bus
