"""Classes: a teacher's class lists, members known by a first name (or pseudonym) and a picture."""

from __future__ import annotations

from typing import TYPE_CHECKING

from classbox.classes.schema import migrations
from classbox.features import hook

if TYPE_CHECKING:  # Flask is imported when the web app is built, not by `classbox agent`
    import sqlite_utils
    from flask import Blueprint

__all__ = ["migrations", "blueprints", "privacy_export", "privacy_erase", "agent_services"]


@hook
def blueprints() -> list[Blueprint]:
    """The classes API, the pictograms and the teacher's class pages."""
    from classbox.classes.pages import bp as pages
    from classbox.classes.views import bp

    return [bp, pages]


@hook
def privacy_export(db: sqlite_utils.Database, pupil_id: str) -> dict:
    """The class member with this id: first name or pseudonym, picture, class."""
    from classbox.classes.privacy import export_member

    return export_member(db, pupil_id)


@hook
def privacy_erase(db: sqlite_utils.Database, pupil_id: str) -> int:
    """Remove the class member with this id; the number of records removed."""
    from classbox.classes.privacy import erase_member

    return erase_member(db, pupil_id)


@hook
def agent_services(config) -> list:
    """The erasure of classes past their end of school year."""
    from classbox.classes.privacy import ClassRetentionService

    return [ClassRetentionService(config.data_dir)]
