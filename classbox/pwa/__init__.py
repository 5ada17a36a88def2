"""Installable pupil pages: web app manifest, service worker, offline answer queue (static JS)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Serve /manifest.webmanifest and /sw.js at the root scope."""
    from classbox.pwa.views import bp

    app.register_blueprint(bp)
