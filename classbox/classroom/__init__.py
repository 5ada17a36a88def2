"""Live classroom: sessions, activities pushed to pupils' screens, answers and hand-ins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from classbox.classroom.schema import migrations

if TYPE_CHECKING:  # Flask is imported when the web app is built, not by `classbox agent`
    import sqlite_utils
    from flask import Flask

__all__ = ["migrations", "init_app", "privacy_export", "privacy_erase", "agent_services", "account_revoked"]


def init_app(app: Flask) -> None:
    """Register the pages, the /classroom Socket.IO handlers, the admin panel and the service."""
    from classbox.classroom import admin, events
    from classbox.classroom.feed import SubmissionFeed
    from classbox.classroom.service import Classroom
    from classbox.classroom.views import bp
    from classbox.extensions import socketio

    config = app.config["CLASSBOX"]
    app.extensions["classroom"] = Classroom(config.data_dir, app.config["SECRET_KEY"], config["classroom"],
                                            socketio.async_mode, socketio.start_background_task)

    def emit_submissions(session_id: int, records: list[dict]) -> None:
        socketio.emit("submission", records, to=events.teacher_room(session_id), namespace=events.NS)

    app.extensions["classroom"].feed = SubmissionFeed(
        emit_submissions, socketio.start_background_task if socketio.async_mode == "gevent" else None)
    app.register_blueprint(bp)
    admin.init_app(app)
    events.register(socketio, app.extensions["classroom"], app)


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


def privacy_export(db: sqlite_utils.Database, pupil_id: str) -> dict:
    """The pupil's pseudonym, sessions, answers and hand-ins."""
    from classbox.classroom.privacy import export_pupil

    return export_pupil(db, pupil_id)


def privacy_erase(db: sqlite_utils.Database, pupil_id: str) -> int:
    """Erase the pupil's pseudonym, answers and hand-in files; the number of records removed."""
    from classbox.classroom.privacy import erase_pupil

    return erase_pupil(db, pupil_id)


def agent_services(config) -> list:
    """The retention of closed sessions ([privacy] retention_days)."""
    from classbox.classroom.privacy import RetentionService

    return [RetentionService(config.data_dir, config["privacy"]["retention_days"])]
