"""Accounts of teachers and admins (argon2id), login/logout, role checks, CSRF."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from classbox.auth.schema import migrations
from classbox.features import hook

if TYPE_CHECKING:  # Flask is imported when the web app is built, not by `classbox agent`
    from flask import Blueprint, Flask

    from classbox.auth.decorators import current_user, login_required

__all__ = ["current_user", "login_required", "migrations", "blueprints", "init_app", "cli_commands"]


def __getattr__(name: str) -> Any:
    """`current_user` and `login_required`, imported on first use (they need Flask)."""
    if name in ("current_user", "login_required"):
        from classbox.auth import decorators

        return getattr(decorators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@hook
def blueprints() -> list[Blueprint]:
    """The login views and the teacher accounts' admin page."""
    from classbox.auth import admin, views

    return [views.bp, admin.bp]


@hook
def init_app(app: Flask) -> None:
    """The accounts' /admin panel; `current_user` in templates."""
    from classbox.auth import admin
    from classbox.auth.decorators import current_user

    admin.init_app(app)
    app.context_processor(lambda: {"current_user": current_user()})


@hook
def cli_commands() -> list:
    """The `classbox user …` commands."""
    from classbox.auth.cli import user

    return [user]
