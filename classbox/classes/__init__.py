"""Classes: a teacher's class lists, members known by a first name (or pseudonym) and a picture."""

from __future__ import annotations

from typing import TYPE_CHECKING

from classbox.classes.privacy import privacy_erase, privacy_export  # hooks, declared where they work
from classbox.classes.schema import migrations
from classbox.features import hook

if TYPE_CHECKING:  # Flask is imported when the web app is built, not by `classbox agent`
    from flask import Blueprint, Flask

__all__ = ["migrations", "blueprints", "init_app", "offline_urls", "privacy_export", "privacy_erase", "agent_services"]


@hook
def blueprints() -> list[Blueprint]:
    """The classes API, the pictograms, the teacher's class pages and progress pages."""
    from classbox.classes.pages import bp as pages
    from classbox.classes.progress_pages import bp as progress_pages
    from classbox.classes.secret_views import bp as join_secrets
    from classbox.classes.views import bp

    return [bp, pages, join_secrets, progress_pages]


@hook
def init_app(app: Flask) -> None:
    """Tap to join: the classroom learns about class sessions, the teacher answers takeover requests."""
    from classbox.classes.join_events import register
    from classbox.extensions import socketio

    if "classroom" in app.extensions:
        register(socketio, app.extensions["classroom"], app.extensions.get("classbox_bus"))


@hook
def offline_urls() -> list[str]:
    """Every bundled pictogram (hashed URLs): a class's join page paints from the device's cache."""
    from classbox.classes import pictograms

    return [pictograms.url(p) for p in pictograms.PICTURE_IDS]


@hook
def agent_services(config) -> list:
    """The erasure of classes past their end of school year."""
    from classbox.classes.privacy import ClassRetentionService

    return [ClassRetentionService(config.data_dir, web=config["web"])]
