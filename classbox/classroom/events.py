"""Socket.IO handlers of /classroom: check the sender's role, call the service, emit to rooms."""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable

from flask import current_app, request
from flask_babel import force_locale
from flask_socketio import SocketIO, join_room, leave_room

from classbox.auth import current_user
from classbox.classroom import handin_disk, store
from classbox.classroom.errors import ClassroomError
from classbox.classroom.live import Conn, checked_conn
from classbox.classroom.results import session_results
from classbox.storage import get_db
from classbox.web.i18n import DEFAULT_LANGUAGE, LOCALES, socket_locale
from classbox.web.links import join_url

NS = "/classroom"
log = logging.getLogger("classbox.classroom")


def session_room(session_id: int) -> str:
    return f"session:{session_id}"


def teacher_room(session_id: int) -> str:
    return f"teacher:{session_id}"


def pupil_room(pupil_id: str) -> str:
    return f"pupil:{pupil_id}"


def svc():
    return current_app.extensions["classroom"]


def event(role: str | None = None) -> Callable:
    """Wrap a handler: size and flood limits, the sender's role, errors turned into acks.

    The handler runs in the language of the connection's page (titles, refusals), never in the
    one the WebSocket handshake's headers would pick.
    """
    def decorator(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapped(data: Any = None, *extra: Any) -> dict:
            conn = svc().presence.get(request.sid)
            with force_locale(conn.locale if conn else LOCALES[DEFAULT_LANGUAGE]):
                return handle(data, *extra)

        def handle(data: Any = None, *extra: Any) -> dict:
            try:
                conn = checked_conn(svc(), request.sid, data, extra)
                if role == "teacher" and (conn.role != "teacher" or current_user() is None):
                    # current_user() re-reads the account: a disabled teacher loses a live dashboard too
                    log.warning("refused teacher event %s from connection %s", fn.__name__, request.sid)
                    raise ClassroomError("forbidden")
                if data is not None and not isinstance(data, dict):
                    raise ClassroomError("malformed")
                return fn(conn, data or {})
            except ClassroomError as err:
                return err.as_ack()
            except Exception:
                log.exception("classroom event %s failed", fn.__name__)
                return ClassroomError("storage").as_ack()
        return wrapped
    return decorator


def _ack_in(app, classroom, sid: str, err: ClassroomError) -> dict:
    """The error's ack in the language of the connection's page (submit runs outside Flask)."""
    conn = classroom.presence.conns.get(sid)
    with app.app_context(), force_locale(conn.locale if conn else LOCALES[DEFAULT_LANGUAGE]):
        return err.as_ack()


def submit_handler(app, classroom) -> Callable:
    """The `submit` handler, called by python-socketio itself as handler(sid, data).

    A class answers at once: this path skips the Flask request context Flask-SocketIO pushes for
    every event (a Request built from the WSGI environ, URL matching, the session cookie), which
    it does not use. The checks are the same as every other event's (`_checked`), and the pupil
    is the one bound to this connection by `join`: never anything the message claims.
    """
    def on_submit(sid: str, data: Any = None, *extra: Any) -> dict:
        try:
            conn = checked_conn(classroom, sid, data, extra)
            if not isinstance(data, dict):
                raise ClassroomError("malformed")
            if conn.role != "pupil" or conn.pupil_id is None:
                raise ClassroomError("not_joined")
            if not classroom.submit_limit.allow(conn.pupil_id):
                raise ClassroomError("rate_limited")
            ack = classroom.submit(conn.session_id, conn.pupil_id, data)
            if not ack["duplicate"]:
                classroom.feed.add(conn.session_id, ack["record"])
            return {"ok": True, "submission_id": ack["submission_id"], "duplicate": ack["duplicate"]}
        except ClassroomError as err:
            return _ack_in(app, classroom, sid, err)
        except Exception:
            log.exception("classroom event submit failed")
            return _ack_in(app, classroom, sid, ClassroomError("storage"))
    return on_submit


def _teacher_session(conn: Conn) -> dict:
    if conn.session_id is None:
        raise ClassroomError("no_session")
    session = store.get_session(get_db(), conn.session_id)
    if session is None or session["teacher_id"] != conn.user["id"]:
        raise ClassroomError("forbidden")
    return session


def session_summary(session: dict) -> dict:
    return {"code": session["code"], "title": session["title"], "state": session["state"],
            "joining": bool(session.get("joining", 1)), "class_id": session.get("class_id")}


def register(socketio: SocketIO, classroom, app) -> None:
    """Declare every /classroom handler on the app's Socket.IO server."""

    def emit(name: str, payload: Any, room: str) -> None:
        socketio.emit(name, payload, to=room, namespace=NS)

    def disconnect_pupil(session_id: int, pupil_id: str) -> None:
        """Close every connection of a removed pupil: those in its room and those presence knows."""
        in_room = [sid for sid, _ in socketio.server.manager.get_participants(NS, pupil_room(pupil_id))]
        for sid in set(in_room) | set(svc().presence.pupil_sids(session_id, pupil_id)):
            socketio.server.disconnect(sid, namespace=NS)

    @socketio.on("connect", namespace=NS)
    def on_connect(auth: Any = None) -> bool:
        user = current_user()
        role = "teacher" if user is not None and user["role"] in ("teacher", "admin") else "pupil"
        svc().presence.connect(Conn(request.sid, role, user, locale=socket_locale(auth)))
        return True

    @socketio.on("disconnect", namespace=NS)
    def on_disconnect(*_reason: Any) -> None:
        conn, offline = svc().presence.disconnect(request.sid)
        if conn is not None and offline:
            emit("presence", {"pupil_id": conn.pupil_id, "online": False}, teacher_room(conn.session_id))
        if conn is not None and conn.session_id is not None:
            svc().presence_changed()
        svc().event_limit.forget(request.sid)
        svc().join_limit.forget(request.sid)

    @socketio.on("join", namespace=NS)
    @event()
    def on_join(conn: Conn, data: dict) -> dict:
        if not svc().join_limit.allow(request.sid) or not svc().join_ip_limit.allow(str(request.remote_addr)):
            raise ClassroomError("rate_limited")
        if data.get("member_id") is not None and svc().tap is not None and data.get("token") in (None, ""):
            joined = svc().tap.join(data, request.sid, str(request.remote_addr))  # tap to join (classes)
        else:
            joined = svc().join(data.get("code"), data.get("name"), data.get("token"), str(request.remote_addr))
        session, pupil = joined["session"], joined["pupil"]
        if conn.session_id is not None:
            leave_room(teacher_room(conn.session_id) if conn.role == "teacher" else session_room(conn.session_id))
        if conn.pupil_id:
            leave_room(pupil_room(conn.pupil_id))
        came_online = svc().presence.attach_pupil(request.sid, session["id"], pupil["id"])
        conn.role, conn.user = "pupil", None  # from now on this connection is a pupil's
        join_room(session_room(session["id"]))
        join_room(pupil_room(pupil["id"]))
        if came_online:
            emit("presence", {"pupil_id": pupil["id"], "name": pupil["name"], "online": True},
                 teacher_room(session["id"]))
        svc().presence_changed()
        return {"ok": True, "pupil_id": pupil["id"], "name": pupil["name"], "token": joined["token"],
                "session": session_summary(session), "activity": svc().view(joined["activity"])}

    # registered on python-socketio directly: no Flask request context per answer (see submit_handler)
    socketio.server.on("submit", submit_handler(app, classroom), namespace=NS)

    @socketio.on("open_session", namespace=NS)
    @event("teacher")
    def on_open_session(conn: Conn, data: dict) -> dict:
        session = svc().open_session(conn.user, data.get("title"), data.get("class_id"))
        svc().presence.attach_teacher(request.sid, session["id"])
        join_room(teacher_room(session["id"]))
        svc().presence_changed()
        return {"ok": True, "code": session["code"], "session": session_summary(session),
                "join_url": join_url(session["code"])}

    @socketio.on("watch", namespace=NS)
    @event("teacher")
    def on_watch(conn: Conn, data: dict) -> dict:
        svc().writer.settle()  # pupils and answers acked a moment ago are shown too (storage/journal.py)
        db = get_db()
        session = svc().owned_session(db, conn.user, data.get("code"))
        if conn.session_id is not None:
            leave_room(teacher_room(conn.session_id))
        svc().presence.attach_teacher(request.sid, session["id"])
        join_room(teacher_room(session["id"]))
        svc().presence_changed()
        pupils = store.session_pupils(db, session["id"])
        document = session_results(session, pupils, store.session_activities(db, session["id"]),
                                   store.session_submissions(db, session["id"]))
        online = set(svc().presence.online_pupils(session["id"]))
        for pupil in document["pupils"]:
            pupil["online"] = pupil["id"] in online
        current = store.get_activity(db, session["current_activity_id"]) if session["current_activity_id"] else None
        return {"ok": True, **document, "session": {**document["session"], "join_url": join_url(session["code"]),
                                                "joining": bool(session["joining"])},
                "current": current and current["id"],
                "storage": handin_disk.state(svc().data_dir, svc().settings["handin_min_free_mb"])}

    @socketio.on("push", namespace=NS)
    @event("teacher")
    def on_push(conn: Conn, data: dict) -> dict:
        if conn.session_id is None:  # set only once the teacher's ownership was checked
            raise ClassroomError("no_session")

        def announce(activity: dict) -> None:
            view = svc().view(activity)
            if activity["targets"] is None:
                emit("activity", view, session_room(activity["session_id"]))
            else:
                for pupil_id in activity["targets"]:
                    emit("activity", view, pupil_room(pupil_id))

        activity = svc().push(conn.session_id, data, announce)
        teacher_view = {k: activity[k] for k in ("id", "type", "spec", "targets")}
        emit("pushed", teacher_view, teacher_room(conn.session_id))
        return {"ok": True, "activity": teacher_view}

    @socketio.on("close_session", namespace=NS)
    @event("teacher")
    def on_close(conn: Conn, data: dict) -> dict:
        session = _teacher_session(conn)
        svc().close(session["id"])
        emit("closed", {"code": session["code"]}, session_room(session["id"]))
        emit("closed", {"code": session["code"]}, teacher_room(session["id"]))
        return {"ok": True}

    @socketio.on("rename_pupil", namespace=NS)
    @event("teacher")
    def on_rename(conn: Conn, data: dict) -> dict:
        session = _teacher_session(conn)
        name = svc().rename(session["id"], data.get("pupil_id"), data.get("name"))
        emit("renamed", {"pupil_id": data["pupil_id"], "name": name}, pupil_room(data["pupil_id"]))
        emit("renamed", {"pupil_id": data["pupil_id"], "name": name}, teacher_room(session["id"]))
        return {"ok": True, "name": name}

    def announce_removed(session_id: int, pupil_ids: list[str]) -> None:
        for pupil_id in pupil_ids:
            emit("removed", {"pupil_id": pupil_id}, pupil_room(pupil_id))
            disconnect_pupil(session_id, pupil_id)
            emit("presence", {"pupil_id": pupil_id, "online": False, "removed": True}, teacher_room(session_id))

    @socketio.on("remove_pupil", namespace=NS)
    @event("teacher")
    def on_remove(conn: Conn, data: dict) -> dict:
        session = _teacher_session(conn)
        svc().remove(session["id"], data.get("pupil_id"))
        announce_removed(session["id"], [data["pupil_id"]])
        return {"ok": True}

    @socketio.on("remove_pupils", namespace=NS)
    @event("teacher")
    def on_remove_many(conn: Conn, data: dict) -> dict:
        session = _teacher_session(conn)
        removed = svc().remove_many(session["id"], data.get("pupil_ids"))
        announce_removed(session["id"], removed)
        return {"ok": True, "removed": len(removed)}

    @socketio.on("set_joining", namespace=NS)
    @event("teacher")
    def on_set_joining(conn: Conn, data: dict) -> dict:
        session = _teacher_session(conn)
        joining = svc().set_joining(session["id"], data.get("open"))
        emit("joining", {"joining": joining}, teacher_room(session["id"]))
        return {"ok": True, "joining": joining}

    @socketio.on("*", namespace=NS)
    def on_unknown(name: str, *args: Any) -> dict:
        log.info("unknown classroom event %r from %s", str(name)[:40], request.sid)
        conn = svc().presence.get(request.sid)
        with force_locale(conn.locale if conn else LOCALES[DEFAULT_LANGUAGE]):
            return ClassroomError("malformed", "unknown event").as_ack()
