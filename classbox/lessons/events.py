"""Socket.IO handlers of lessons in a session (/classroom): play live, release self-paced, progress, summary."""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Callable

from flask_socketio import SocketIO

from classbox.classroom import store
from classbox.classroom.checks import check_uuid
from classbox.classroom.errors import ClassroomError
from classbox.classroom.feed import SubmissionFeed
from classbox.classroom.events import NS, _ack_in, _teacher_session, event, session_room, svc, teacher_room
from classbox.classroom.live import Conn, pupil_conn
from classbox.lessons import release as releases
from classbox.lessons.play import lesson_for, lesson_ref, live_payload, step_index
from classbox.lessons.selfpaced import LessonAnswer, store_lesson_answers
from classbox.lessons.summary import lesson_summary
from classbox.storage import get_db

log = logging.getLogger("classbox.lessons")


class Positions:
    """Which step each pupil is looking at in each release (in memory: a hint for the dashboard)."""

    def __init__(self) -> None:
        self._at: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def set(self, release_id: str, pupil_id: str, step: int) -> None:
        with self._lock:
            self._at.setdefault(release_id, {})[pupil_id] = step

    def of(self, release_id: str) -> dict[str, int]:
        with self._lock:
            return dict(self._at.get(release_id, {}))


def _open_session(conn: Conn) -> dict:
    session = _teacher_session(conn)
    if session["state"] != "open":
        raise ClassroomError("closed")
    return session


def teacher_release_view(db, release: dict, positions: Positions) -> dict:
    """A release as the dashboard shows it: the lesson, and every pupil's progress."""
    answers = releases.answers_of(db, release)
    at = positions.of(release["id"])
    pupils = store.session_pupils(db, release["session_id"])
    return {"release_id": release["id"], "lesson_id": release["lesson_id"], "title": release["title"],
            "state": release["state"], "steps": len(release["steps"]), "total": release["answerable"],
            "graded": release["graded"],
            "progress": [{**releases.progress(release, answers, p["id"]), "name": p["name"], "step": at.get(p["id"])}
                         for p in pupils]}


def lesson_answer_handler(app, classroom, positions: Positions, progress_feed: SubmissionFeed) -> Callable:
    """The pupil's `lesson_answer` handler, called by python-socketio as handler(sid, data) (like `submit`)."""
    def on_lesson_answer(sid: str, data: Any = None, *extra: Any) -> dict:
        try:
            conn = pupil_conn(classroom, sid, data, extra)
            if not classroom.submit_limit.allow(conn.pupil_id):
                raise ClassroomError("rate_limited")
            submission_id = check_uuid(data.get("submission_id"))
            activity_id = data.get("activity_id")
            if not isinstance(activity_id, str) or len(activity_id) > 64:
                raise ClassroomError("malformed", "activity_id")
            item = LessonAnswer(conn.session_id, conn.pupil_id, submission_id, activity_id, data.get("answer"))
            # acked once its rows (answer, outbox, `completed`) are in the answer journal, like `submit`
            done = classroom.writer.run_item(store_lesson_answers, (classroom.rules, item), journaled=True)
            if done["progress"] is not None:
                positions.set(done["release_id"], conn.pupil_id, done["step"])
                progress_feed.add(conn.session_id, {**done["progress"], "release_id": done["release_id"],
                                                    "step": done["step"]})
            return {"ok": True, "submission_id": submission_id, "duplicate": not done["new"],
                    "release_id": done["release_id"], "step": done["step"], "result": done["result"]}
        except ClassroomError as err:
            return _ack_in(app, classroom, sid, err)
        except Exception:
            log.exception("lesson event lesson_answer failed")
            return _ack_in(app, classroom, sid, ClassroomError("storage"))
    return on_lesson_answer


RELEASE_ID = re.compile(r"[0-9a-f]{32}")  # releases' ids (uuid4().hex)


def lesson_at_handler(app, classroom, positions: Positions, progress_feed: SubmissionFeed) -> Callable:
    """The pupil's `lesson_at {release_id, step}` (which step it is looking at), without a Flask request context."""
    def on_lesson_at(sid: str, data: Any = None, *extra: Any) -> dict:
        try:
            conn = pupil_conn(classroom, sid, data, extra)
            release_id = data.get("release_id")
            if not isinstance(release_id, str) or not RELEASE_ID.fullmatch(release_id):
                raise ClassroomError("malformed", "release_id")
            found = classroom.rules.rows.get(("release", release_id))
            if found is None:  # looked up read-only: an unknown id never makes the writer commit
                with app.app_context():
                    found = releases.get_release(get_db(), release_id)
                if found is not None and found["session_id"] == conn.session_id:  # then kept by the writer's rules
                    found = classroom.writer.run(lambda db: classroom.rules.row(db, "release", release_id,
                                                                                releases.get_release))
            if found is None or found["session_id"] != conn.session_id:
                raise ClassroomError("unknown_activity", "release_id")
            if found["state"] != "open":
                raise ClassroomError("not_released", message=releases.NOT_RELEASED)
            index = step_index(data.get("step"), len(found["steps"]))
            positions.set(found["id"], conn.pupil_id, index)  # answers counted come with each answer's progress
            progress_feed.add(conn.session_id, {"release_id": found["id"], "pupil_id": conn.pupil_id, "step": index})
            return {"ok": True}
        except ClassroomError as err:
            return _ack_in(app, classroom, sid, err)
        except Exception:
            log.exception("lesson event lesson_at failed")
            return _ack_in(app, classroom, sid, ClassroomError("storage"))
    return on_lesson_at


def register(socketio: SocketIO, classroom, app) -> None:
    """Declare the lesson handlers on the app's /classroom namespace."""
    from classbox.lessons.shared_positions import positions_for

    positions = positions_for(app.extensions.get("classbox_shared"))  # several workers: in Redis too
    app.extensions["lesson_positions"] = positions

    def emit(name: str, payload: Any, room: str) -> None:
        socketio.emit(name, payload, to=room, namespace=NS)

    # like `submission`: the progress of answers stored by one group commit reaches the dashboard as one list
    progress_feed = SubmissionFeed(lambda session_id, found: emit("lesson_progress", found, teacher_room(session_id)),
                                   socketio.start_background_task if socketio.async_mode == "gevent" else None)

    @socketio.on("play", namespace=NS)
    @event("teacher")
    def on_play(conn: Conn, data: dict) -> dict:
        session = _open_session(conn)
        lesson = lesson_for(get_db(), conn.user, data.get("lesson_id"))
        index = step_index(data.get("step", 0), len(lesson["steps"]))
        ref = lesson_ref(lesson, index)

        def announce(activity: dict) -> None:
            emit("activity", svc().view(activity), session_room(activity["session_id"]))

        activity = svc().push(session["id"], live_payload(lesson, index), announce, extra={"lesson": ref})
        teacher_view = {k: activity[k] for k in ("id", "type", "spec", "targets")}
        emit("pushed", teacher_view, teacher_room(session["id"]))
        return {"ok": True, "activity": teacher_view, "lesson": ref}

    @socketio.on("release", namespace=NS)
    @event("teacher")
    def on_release(conn: Conn, data: dict) -> dict:
        session = _open_session(conn)
        db = get_db()
        lesson = lesson_for(db, conn.user, data.get("lesson_id"))
        rules = svc().rules

        def job(wdb) -> dict:
            previous = releases.open_release(wdb, session["id"])  # stopped by this release
            made = releases.create_release(wdb, session["id"], lesson)
            if previous is not None:
                rules.forget("release", previous["id"])  # lesson_at trusts the cached state
            return made

        made = svc().writer.run(job)  # commits pending rows
        emit("release", releases.pupil_view(db, made, None), session_room(session["id"]))
        view = teacher_release_view(db, made, positions)
        emit("released", view, teacher_room(session["id"]))
        return {"ok": True, "release": view}

    @socketio.on("stop_release", namespace=NS)
    @event("teacher")
    def on_stop(conn: Conn, data: dict) -> dict:
        session = _teacher_session(conn)
        stopped = svc().writer.run(lambda wdb: releases.stop_release(wdb, session["id"], data.get("release_id")))
        svc().rules.forget("release", stopped["id"])
        emit("release_stopped", {"release_id": stopped["id"]}, session_room(session["id"]))
        emit("release_stopped", {"release_id": stopped["id"]}, teacher_room(session["id"]))
        return {"ok": True}

    @socketio.on("lesson_status", namespace=NS)
    @event("teacher")
    def on_status(conn: Conn, data: dict) -> dict:
        svc().writer.settle()  # pushes, pupils and answers acked a moment ago are read too (storage/journal.py)
        session = _teacher_session(conn)
        db = get_db()
        current = store.get_activity(db, session["current_activity_id"]) if session["current_activity_id"] else None
        live = (current or {}).get("spec", {}).get("lesson")
        found = releases.open_release(db, session["id"])
        return {"ok": True, "live": live, "release": found and teacher_release_view(db, found, positions)}

    @socketio.on("lesson_summary", namespace=NS)
    @event("teacher")
    def on_summary(conn: Conn, data: dict) -> dict:
        session = _teacher_session(conn)
        lesson_id, release_id = data.get("lesson_id"), data.get("release_id")
        if not isinstance(lesson_id, int) or isinstance(lesson_id, bool) \
                or (release_id is not None and not isinstance(release_id, str)):
            raise ClassroomError("malformed", "lesson_id (number), release_id? (text)")
        svc().writer.settle()  # answers acked a moment ago are counted too (storage/journal.py)
        db = get_db()
        found = lesson_summary(store.session_activities(db, session["id"]), store.session_submissions(db, session["id"]),
                               store.session_pupils(db, session["id"]), lesson_id, release_id,
                               names=data.get("names") is not False)
        return {"ok": True, "summary": found}

    @socketio.on("lesson_state", namespace=NS)
    @event()
    def on_lesson_state(conn: Conn, data: dict) -> dict:
        if conn.role != "pupil" or conn.pupil_id is None:
            raise ClassroomError("not_joined")
        # no writer.settle() (a pupil never forces the class's commit): its answers still in the journal, read first
        pending = classroom.writer.pending_of("classroom_submissions", "pupil_id", conn.pupil_id)
        db = get_db()
        found = releases.open_release(db, conn.session_id)
        if found is None:
            return {"ok": True, "release": None}
        return {"ok": True, "release": releases.pupil_view(db, found, conn.pupil_id, pending)}

    # registered on python-socketio directly, as `submit`: a class moving through a lesson sends many of them
    socketio.server.on("lesson_answer", lesson_answer_handler(app, classroom, positions, progress_feed), namespace=NS)
    socketio.server.on("lesson_at", lesson_at_handler(app, classroom, positions, progress_feed), namespace=NS)
