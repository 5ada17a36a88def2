"""Prepared lessons: ordered steps a teacher builds once, GIFT and JSON import/export, the lessons API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from classbox.features import hook
from classbox.lessons.schema import migrations

if TYPE_CHECKING:  # Flask is imported when the web app is built, not by `classbox agent`
    from flask import Blueprint, Flask

__all__ = ["migrations", "blueprints", "cli_commands", "init_app"]


@hook
def blueprints() -> list[Blueprint]:
    """The lessons API (/api/lessons) and the teacher's lessons pages (/teacher/lessons)."""
    from classbox.lessons import steppages  # noqa: F401  (its routes join the pages' blueprint)
    from classbox.lessons.pages import bp as pages
    from classbox.lessons.views import bp

    return [bp, pages]


@hook
def cli_commands() -> list:
    """The `classbox lesson` command group."""
    from classbox.lessons.cli import lesson

    return [lesson]


@hook
def init_app(app: Flask) -> None:
    """Lessons in a session: `play`, `release` and their companions on the /classroom namespace."""
    from classbox.extensions import socketio
    from classbox.lessons import events

    events.register(socketio, app.extensions["classroom"], app)
