"""Live classroom: sessions, activities pushed to pupils' screens, answers and hand-ins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from classbox.classroom.privacy import privacy_erase, privacy_export  # hooks, declared where they work
from classbox.classroom.schema import migrations
from classbox.features import hook

if TYPE_CHECKING:  # Flask is imported when the web app is built, not by `classbox agent`
    import sqlite_utils
    from flask import Blueprint, Flask

__all__ = ["migrations", "blueprints", "init_app", "open_sessions", "privacy_export", "privacy_erase", "agent_services",
           "account_revoked"]


@hook
def blueprints() -> list[Blueprint]:
    """The teacher's and pupils' classroom pages."""
    from classbox.classroom.views import bp

    return [bp]


@hook
def init_app(app: Flask) -> None:
    """The classroom service and the /classroom Socket.IO handlers."""
    from classbox.classroom import events
    from classbox.classroom.feed import SubmissionFeed
    from classbox.classroom.service import Classroom
    from classbox.extensions import socketio

    config = app.config["CLASSBOX"]
    app.extensions["classroom"] = Classroom(config.data_dir, app.config["SECRET_KEY"], config["classroom"],
                                            socketio.async_mode, socketio.start_background_task,
                                            runtime_dir=config.runtime_dir, shared=config["web"]["workers"] > 1,
                                            state=app.extensions.get("classbox_shared"))
    shared = app.extensions.get("classbox_shared")
    if shared is not None:  # several workers: publish presence, catch up after a Redis outage, settle journals
        from classbox.classroom import journal_settle
        from classbox.classroom.catch_up import catch_up

        journal_settle.install(app.extensions["classbox_bus"], app.extensions["classroom"].writer, shared)
        socketio.start_background_task(app.extensions["classroom"].beat_forever)
        shared.on_restore.append(lambda since: socketio.start_background_task(
            catch_up, socketio, app.extensions["classroom"], app, since))

    def emit_submissions(session_id: int, records: list[dict]) -> None:
        socketio.emit("submission", records, to=events.teacher_room(session_id), namespace=events.NS)

    app.extensions["classroom"].feed = SubmissionFeed(
        emit_submissions, socketio.start_background_task if socketio.async_mode == "gevent" else None)
    _sweep_handins(config.data_dir)
    events.register(socketio, app.extensions["classroom"], app)


def _sweep_handins(data_dir) -> None:
    """Remove hand-in bytes no submission holds (a crash between the file and its commit)."""
    from classbox.classroom.handin_disk import sweep
    from classbox.storage import open_database

    db = open_database(data_dir)
    try:
        referenced = {row[0] for row in db.execute(
            "SELECT file_path FROM classroom_submissions WHERE file_path IS NOT NULL")}
    finally:
        db.conn.close()
    sweep(data_dir, referenced)


@hook
def account_revoked(user_id: int) -> None:
    """Cut the live /classroom connections opened with the account's (now revoked) cookies."""
    from flask import current_app

    from classbox.classroom.events import NS
    from classbox.extensions import socketio

    classroom = current_app.extensions.get("classroom")
    if classroom is None:
        return
    for sid in classroom.presence.account_sids(user_id):
        socketio.server.disconnect(sid, namespace=NS)


@hook
def open_sessions(db: sqlite_utils.Database, user: dict) -> list[dict[str, str]]:
    """The sessions a teacher has open (an admin: everyone's), for the connect page."""
    from classbox.classroom.store import open_sessions as find_open

    return find_open(db, None if user.get("role") == "admin" else user.get("id"), 12)


@hook
def agent_services(config) -> list:
    """The retention of closed sessions ([privacy] retention_days)."""
    from classbox.classroom.privacy import RetentionService

    return [RetentionService(config.data_dir, config["privacy"]["retention_days"])]
