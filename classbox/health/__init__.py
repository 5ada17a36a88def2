"""Health: liveness, the health JSON, Prometheus metrics, the admin status page, heartbeat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from classbox.config import Config
from classbox.features import hook
from classbox.health.schema import migrations

if TYPE_CHECKING:  # Flask is imported when the web app is built, not by `classbox agent`
    from flask import Blueprint

__all__ = ["migrations", "blueprints", "cli_commands", "agent_services"]


@hook
def blueprints() -> list[Blueprint]:
    """/healthz, /api/health, /metrics and the /admin page."""
    from classbox.health import admin, views

    return [views.bp, admin.bp]


@hook
def cli_commands() -> list:
    """`classbox health [--json]`."""
    from classbox.health.cli import health

    return [health]


@hook
def agent_services(config: Config) -> list:
    """The sampler, and the fleet heartbeat when [fleet] pushgateway is set."""
    from classbox.health.heartbeat import HeartbeatService
    from classbox.health.service import HealthService

    services: list = [HealthService(config)]
    if config["fleet"]["pushgateway"]:
        services.append(HeartbeatService(config))
    return services
