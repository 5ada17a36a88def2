"""One worker's request to another over a real redis-server: what `ask` says when it is answered, unanswered or undelivered."""

from __future__ import annotations

import json
import threading

from classbox.runtime.worker_bus import WorkerBus
from tests.helpers import wait_until
from tests.runtime.test_shared_state import _close_clients, redis_server, worker  # noqa: F401 (fixtures)


def subscribed(bus: WorkerBus):
    """A pubsub on the worker's own channel (what listen_forever holds), read by the test."""
    pubsub = bus.shared.client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(bus.channel(bus.shared.worker_id))
    wait_until(lambda: pubsub.get_message(timeout=0.1) is None and pubsub.subscribed, what="the subscription")
    return pubsub


def _the_request(pubsub, allow: bool) -> dict | None:
    """The next message of the pubsub if it is a request with this `allow` (an earlier one is skipped)."""
    message = pubsub.get_message(timeout=0.1)
    if message is None or message.get("type") != "message":
        return None
    return message if json.loads(message["data"])["payload"]["allow"] is allow else None


def test_a_request_is_answered_or_said_unanswered_or_undelivered(redis_server):
    asker, holder = WorkerBus(worker(redis_server)), WorkerBus(worker(redis_server))
    holder.on("takeover", lambda payload: {"ok": True, "allowed": payload["allow"]})
    assert asker.ask(holder.shared.worker_id, "takeover", {"allow": True}, 0.5) == (0, None)  # nobody listens: gone
    pubsub = subscribed(holder)
    try:
        assert asker.ask(holder.shared.worker_id, "takeover", {"allow": True}, 0.5) == (1, None)  # received, no reply
        got: list = []  # the first one is left unanswered (read below, or not yet delivered: skipped)
        asking = threading.Thread(target=lambda: got.append(asker.ask(holder.shared.worker_id, "takeover",
                                                                      {"allow": False}, 10)))
        asking.start()
        message = wait_until(lambda: _the_request(pubsub, allow=False), what="the second request")
        holder._received(message["data"])
        asking.join(15)
        assert got == [(1, {"ok": True, "allowed": False})]
    finally:
        pubsub.close()
    redis_server.stop()
    assert asker.ask(holder.shared.worker_id, "takeover", {"allow": True}, 0.5) == (None, None)  # Redis took nothing
