"""Health: liveness, the health JSON, Prometheus metrics, the admin status page, heartbeat."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register /healthz and /api/health."""
    from classbox.health.views import bp

    app.register_blueprint(bp)
