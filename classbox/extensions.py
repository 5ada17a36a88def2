"""Extension singletons, created once here and bound to the app in create_app."""

from __future__ import annotations

import logging
from typing import Any

from flask_socketio import SocketIO
from socketio import packet
from flask_wtf.csrf import CSRFProtect

socketio = SocketIO()
csrf = CSRFProtect()
log = logging.getLogger("classbox.socketio")
# Names python-socketio gives its own lifecycle: a client sending them as events would run the
# connect/disconnect handlers (python-socketio dispatches them like any other event).
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "__disconnect_final"})
# The largest Socket.IO frame accepted: the largest event (64 KiB, classroom.live.MAX_EVENT_BYTES)
# and its framing. Hand-in files travel over HTTP, never over Socket.IO.
MAX_FRAME_BYTES = 66 * 1024


def refuse_reserved_events(server: Any) -> None:
    """Make `server` (a python-socketio Server) answer reserved event names sent by a client
    with a `malformed` ack instead of running the lifecycle handlers."""
    handle = server._handle_event

    def guarded(eio_sid: str, namespace: str | None, id: int | None, data: list) -> None:
        if data and isinstance(data[0], str) and data[0] in RESERVED_EVENTS:
            log.warning("refused reserved event %r sent by a client", data[0])
            if id is not None:
                refusal = {"ok": False, "error": "malformed", "message": "Message incompréhensible.",
                           "detail": "reserved event"}
                server._send_packet(eio_sid, server.packet_class(packet.ACK, namespace=namespace or "/", id=id,
                                                                 data=[refusal]))
            return
        handle(eio_sid, namespace, id, data)

    server._handle_event = guarded


def cap_websocket_messages(server: Any, limit: int) -> None:
    """Close a websocket whose message grows past `limit` bytes while it is still arriving
    (engine.io would otherwise buffer the whole message before checking its size)."""
    eio = server.eio
    base = eio._async.get("websocket")
    if base is None:
        return

    class CappedWebSocket(base):
        def __init__(self, handler: Any, owner: Any, **kwargs: Any) -> None:
            super().__init__(handler, owner, **kwargs)
            if isinstance(getattr(self, "server_args", None), dict):  # simple-websocket's wrapper
                self.server_args["max_message_size"] = limit

    eio._async = {**eio._async, "websocket": CappedWebSocket}  # a copy: the driver's dict is shared
