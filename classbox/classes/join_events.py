"""Socket.IO side of tap to join: the teacher is asked before a member's device is replaced."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask_socketio import SocketIO

from classbox.classes.tapjoin import TapJoin, Takeover, refusal
from classbox.classroom.events import (NS, _teacher_session, event, pupil_room, session_room, session_summary,
                                       teacher_room)
from classbox.classroom.errors import ClassroomError
from classbox.classroom.shared_presence import beating
from classbox.classroom.live import Conn
from classbox.web.i18n_marks import N_

REFUSED = N_("L'enseignant a refusé : demande-lui de l'aide.")
FORWARD_TIMEOUT_S = 5.0  # the asking worker commits the new device token before it replies
REPLACED = N_("Un autre appareil a pris ta place, avec l'accord de l'enseignant.")


def register(socketio: SocketIO, classroom: Any, bus: Any = None) -> TapJoin:
    """Give the classroom its tap-to-join service and declare the teacher's takeover events.

    `bus` (several workers, runtime/worker_bus.py): a takeover asked on another worker is completed
    there, where the asking device's socket is."""
    tap = TapJoin(classroom, classroom.clock)
    classroom.tap = tap

    def emit(name: str, payload: Any, to: str) -> None:
        socketio.emit(name, payload, to=to, namespace=NS)

    def announce(request: Takeover) -> None:
        emit("takeover_request", request.public(), teacher_room(request.session_id))

    tap.announce = announce
    tap.announce_lock = lambda session_id, member: emit("secret_locked", asdict(member), teacher_room(session_id))

    @socketio.on("locked_members", namespace=NS)
    @event("teacher")
    def on_locked(conn: Conn, data: dict) -> dict:
        session = _teacher_session(conn)
        return {"ok": True, "members": tap.locks.of_class(session.get("class_id"))}

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
        texts = {"refused": gettext(REFUSED), "replaced": gettext(REPLACED)}  # in the teacher's language, as before
        if bus is not None and request.worker and request.worker != bus.shared.worker_id:
            return forward(request, allow, texts)
        return complete(request, allow, texts)

    def done(request: Takeover, allow: bool, outcome: str) -> None:
        """Every teacher dashboard of the session drops the request: `outcome` is what happened to the device."""
        emit("takeover_done", {"request_id": request.id, "allowed": allow, "outcome": outcome},
             teacher_room(request.session_id))

    def forward(request: Takeover, allow: bool, texts: dict) -> dict:
        """Have the asking device's worker apply the answer; the teacher hears only what really happened."""
        delivered, reply = bus.ask(request.worker, "takeover", {"request": asdict(request), "allow": allow, **texts},
                                   FORWARD_TIMEOUT_S)
        if delivered is None:  # Redis did not take it: nothing happened, the teacher answers again
            tap.takeovers.put_back(request)
            raise refusal("retry")
        if delivered == 0 and beating(bus.shared, request.worker):  # it lives, resubscribing (a Redis blip)
            tap.takeovers.put_back(request)
            raise refusal("retry")
        if delivered == 0:  # no worker listens for it: the asking device's worker is gone, its socket with it
            done(request, allow, "gone")
            raise refusal("gone")
        if reply is None:  # that worker has the answer and may still apply it: its takeover_done will say
            raise refusal("no_reply")
        if not reply.get("ok"):
            raise refusal("gone") if reply.get("error") == "gone" else ClassroomError(reply.get("error", "storage"))
        return {"ok": True, "allowed": allow}

    def on_forwarded(payload: dict) -> dict:
        """Another worker's teacher answered a takeover asked here."""
        request, allow, texts = forwarded(payload)
        try:
            return complete(request, allow, texts)
        except ClassroomError as err:
            return {"ok": False, "error": err.code}

    if bus is not None:
        bus.on("takeover", on_forwarded, direct=True)  # only the asking device's worker completes it

    def complete(request: Takeover, allow: bool, texts: dict) -> dict:
        """On the asking device's worker: refuse it, or give it the member's place (the old device is out);
        every teacher dashboard of the session is told the outcome."""
        try:
            result = apply(request, allow, texts)
        except ClassroomError as err:
            done(request, allow, err.code)
            raise
        done(request, allow, "allowed" if allow else "refused")
        return result

    def apply(request: Takeover, allow: bool, texts: dict) -> dict:
        asking = classroom.presence.get(request.sid)
        if asking is None or asking.role == "teacher" or asking.pupil_id is not None:  # left, or joined meanwhile
            raise refusal("gone")
        if not allow:
            emit("join_refused", {"message": texts["refused"]}, request.sid)
            return {"ok": True, "allowed": False}
        joined = tap.allow(request)
        pupil = joined["pupil"]
        for old in classroom.presence.pupil_sids(request.session_id, pupil["id"]):
            if old != request.sid:  # forgotten first: its disconnect does not show the pupil offline
                classroom.presence.disconnect(old)
                emit("replaced", {"message": texts["replaced"]}, old)
                socketio.server.disconnect(old, namespace=NS)
        came_online = classroom.presence.attach_pupil(request.sid, request.session_id, pupil["id"])
        requester = classroom.presence.get(request.sid)
        requester.role, requester.user = "pupil", None
        for room in (session_room(request.session_id), pupil_room(pupil["id"])):
            socketio.server.enter_room(request.sid, room, namespace=NS)
        emit("joined", {"ok": True, "pupil_id": pupil["id"], "name": pupil["name"], "token": joined["token"],
                        "session": session_summary(joined["session"]),
                        "activity": classroom.view(joined["activity"])}, request.sid)
        if came_online:
            emit("presence", {"pupil_id": pupil["id"], "name": pupil["name"], "online": True},
                 teacher_room(request.session_id))
        return {"ok": True, "allowed": True}

    return tap


TAKEOVER_FIELDS = {"id": str, "session_id": int, "pupil_id": str, "member_id": str, "sid": str, "name": str,
                   "picture_url": str, "created": (int, float), "worker": str}


def forwarded(payload: dict) -> tuple[Takeover, bool, dict]:
    """The takeover, answer and texts a `takeover` bus request holds (runtime/worker_bus.py); Malformed if not."""
    from classbox.runtime.worker_bus import Malformed

    request, texts = payload.get("request"), {k: payload.get(k) for k in ("refused", "replaced")}
    if not isinstance(request, dict) or set(request) != set(TAKEOVER_FIELDS) \
            or not isinstance(payload.get("allow"), bool):
        raise Malformed("not a takeover answer")
    for name, kind in TAKEOVER_FIELDS.items():
        if not isinstance(request[name], kind) or isinstance(request[name], bool) or len(str(request[name])) > 2000:
            raise Malformed(f"takeover field {name}")
    if not all(isinstance(text, str) and len(text) <= 2000 for text in texts.values()):
        raise Malformed("takeover texts")
    return Takeover(**request), payload["allow"], texts
