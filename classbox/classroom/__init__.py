"""Live classroom: sessions, activities pushed to pupils' screens, answers and hand-ins."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pupil home and the teacher dashboard."""
    from classbox.classroom.views import bp

    app.register_blueprint(bp)
