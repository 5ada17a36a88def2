"""Sync with the ENT: the durable outbox and inbox, connectors (xAPI, WebDAV), the agent loop."""

from __future__ import annotations

from typing import Any

from classbox.features import hook
from classbox.sync.outbox import enqueue
from classbox.sync.schema import migrations

__all__ = ["enqueue", "migrations", "agent_services", "cli_commands", "blueprints", "init_app",
           "privacy_export", "privacy_erase"]


@hook
def agent_services(config) -> list:
    """The sync loop, when [sync] enabled."""
    if not config["sync"]["enabled"]:
        return []
    from classbox.sync.runner import SyncService

    return [SyncService(config)]


@hook
def cli_commands() -> list:
    """`classbox sync ...` and `classbox roster ...`."""
    from classbox.sync.cli import roster, sync

    return [sync, roster]


@hook
def blueprints() -> list:
    """The retry endpoint of the /admin section."""
    from classbox.sync.admin import bp

    return [bp]


@hook
def init_app(app) -> None:
    """The /admin section."""
    from classbox.sync.admin import init_admin

    init_admin(app)


@hook
def privacy_export(db, pupil_id: str) -> dict[str, Any]:
    """The pupil's records waiting in (or delivered through) the outbox, and roster entries."""
    from classbox.sync.privacy import export_pupil

    return export_pupil(db, pupil_id)


@hook
def privacy_erase(db, pupil_id: str) -> int:
    """Delete the pupil's outbox records and roster entries; returns how many rows."""
    from classbox.sync.privacy import erase_pupil

    return erase_pupil(db, pupil_id)
