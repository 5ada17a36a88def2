"""Library: cached resources — content packs, ZIM books, French search, blob serving."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the library pages."""
    from classbox.library.views import bp

    app.register_blueprint(bp)
