"""Installable pupil pages: web app manifest, service worker, offline answer queue (static JS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Flask is imported when the web app is built, not by `classbox agent`
    from flask import Flask


def init_app(app: Flask) -> None:
    """Serve /manifest.webmanifest and /sw.js at the root scope."""
    from classbox.pwa.views import bp

    app.register_blueprint(bp)
