"""Accounts of teachers and admins (argon2id), login/logout, role checks, CSRF."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from classbox.auth.schema import migrations

if TYPE_CHECKING:  # Flask is imported when the web app is built, not by `classbox agent`
    from flask import Flask

    from classbox.auth.decorators import current_user, login_required

__all__ = ["current_user", "login_required", "migrations", "init_app", "cli_commands"]


def __getattr__(name: str) -> Any:
    """`current_user` and `login_required`, imported on first use (they need Flask)."""
    if name in ("current_user", "login_required"):
        from classbox.auth import decorators

        return getattr(decorators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def init_app(app: Flask) -> None:
    """Register the login views, the teacher accounts' admin page; `current_user` in templates."""
    from classbox.auth import admin
    from classbox.auth.views import bp

    from classbox.auth.decorators import current_user

    app.register_blueprint(bp)
    admin.init_app(app)
    app.context_processor(lambda: {"current_user": current_user()})


def cli_commands() -> list:
    """The `classbox user …` commands."""
    from classbox.auth.cli import user

    return [user]
