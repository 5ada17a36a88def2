"""Socket.IO side of tap to join: the teacher is asked before a member's device is replaced."""

from __future__ import annotations

from typing import Any

from flask_socketio import SocketIO

from classbox.classes.tapjoin import TapJoin, Takeover, refusal
from classbox.classroom.events import (NS, _teacher_session, event, pupil_room, session_room, session_summary,
                                       teacher_room)
from classbox.classroom.live import Conn
from classbox.web.i18n_marks import N_

REFUSED = N_("L'enseignant a refusé : demande-lui de l'aide.")
REPLACED = N_("Un autre appareil a pris ta place, avec l'accord de l'enseignant.")


def register(socketio: SocketIO, classroom: Any) -> TapJoin:
    """Give the classroom its tap-to-join service and declare the teacher's takeover events."""
    tap = TapJoin(classroom, classroom.clock)
    classroom.tap = tap

    def emit(name: str, payload: Any, to: str) -> None:
        socketio.emit(name, payload, to=to, namespace=NS)

    def announce(request: Takeover) -> None:
        emit("takeover_request", request.public(), teacher_room(request.session_id))

    tap.announce = announce

    @socketio.on("pending_takeovers", namespace=NS)
    @event("teacher")
    def on_pending(conn: Conn, data: dict) -> dict:
        session = _teacher_session(conn)
        return {"ok": True, "requests": tap.waiting(session["id"])}

    @socketio.on("answer_takeover", namespace=NS)
    @event("teacher")
    def on_answer(conn: Conn, data: dict) -> dict:
        from flask_babel import gettext

        session = _teacher_session(conn)
        allow = data.get("allow")
        if not isinstance(allow, bool):
            raise refusal("unknown_request", "allow must be true or false")
        request = tap.take(data.get("request_id"), session["id"])
        emit("takeover_done", {"request_id": request.id, "allowed": allow}, teacher_room(session["id"]))
        if classroom.presence.get(request.sid) is None:
            raise refusal("gone")
        if not allow:
            emit("join_refused", {"message": gettext(REFUSED)}, request.sid)
            return {"ok": True, "allowed": False}
        joined = tap.allow(request)
        pupil = joined["pupil"]
        for old in classroom.presence.pupil_sids(session["id"], pupil["id"]):
            if old != request.sid:  # forgotten first: its disconnect does not show the pupil offline
                classroom.presence.disconnect(old)
                emit("replaced", {"message": gettext(REPLACED)}, old)
                socketio.server.disconnect(old, namespace=NS)
        came_online = classroom.presence.attach_pupil(request.sid, session["id"], pupil["id"])
        requester = classroom.presence.get(request.sid)
        requester.role, requester.user = "pupil", None
        for room in (session_room(session["id"]), pupil_room(pupil["id"])):
            socketio.server.enter_room(request.sid, room, namespace=NS)
        emit("joined", {"ok": True, "pupil_id": pupil["id"], "name": pupil["name"], "token": joined["token"],
                        "session": session_summary(joined["session"]),
                        "activity": classroom.view(joined["activity"])}, request.sid)
        if came_online:
            emit("presence", {"pupil_id": pupil["id"], "name": pupil["name"], "online": True},
                 teacher_room(session["id"]))
        return {"ok": True, "allowed": True}

    return tap
