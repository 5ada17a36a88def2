"""Health: liveness, the health JSON, Prometheus metrics, the admin status page, heartbeat."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register /healthz, /api/health and the /admin page."""
    from classbox.health.admin import bp as admin_bp
    from classbox.health.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
