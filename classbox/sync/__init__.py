"""Sync with the ENT: the durable outbox and inbox, connectors (xAPI, WebDAV), the agent loop."""

from __future__ import annotations

from classbox.features import hook
from classbox.sync.outbox import enqueue
from classbox.sync.privacy import privacy_erase, privacy_export  # hooks, declared where they work
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
