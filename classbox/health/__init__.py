"""Health: liveness, the health JSON, Prometheus metrics, the admin status page, heartbeat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from classbox.config import Config
from classbox.health.schema import migrations

if TYPE_CHECKING:  # Flask is imported when the web app is built, not by `classbox agent`
    from flask import Flask

__all__ = ["migrations", "init_app", "cli_commands", "agent_services"]


def init_app(app: Flask) -> None:
    """Register /healthz, /api/health, /metrics and the /admin page."""
    from classbox.health.admin import bp as admin_bp
    from classbox.health.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)


def cli_commands() -> list:
    """`classbox health [--json]`."""
    from classbox.health.cli import health

    return [health]


def agent_services(config: Config) -> list:
    """The sampler, and the fleet heartbeat when [fleet] pushgateway is set."""
    from classbox.health.heartbeat import HeartbeatService
    from classbox.health.service import HealthService

    services: list = [HealthService(config)]
    if config["fleet"]["pushgateway"]:
        services.append(HeartbeatService(config))
    return services
