"""Accounts of teachers and admins (argon2id), login/logout, role checks, CSRF."""

from __future__ import annotations

from flask import Flask

from classbox.auth.decorators import current_user, login_required
from classbox.auth.schema import migrations

__all__ = ["current_user", "login_required", "migrations", "init_app", "cli_commands"]


def init_app(app: Flask) -> None:
    """Register the login views and make `current_user` available to templates."""
    from classbox.auth.views import bp

    app.register_blueprint(bp)
    app.context_processor(lambda: {"current_user": current_user()})


def cli_commands() -> list:
    """The `classbox user …` commands."""
    from classbox.auth.cli import user

    return [user]
