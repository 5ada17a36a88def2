"""Sections of the technician's /admin page, contributed by each feature.

A feature calls `register_panel(app, AdminPanel(...))` in its init_app; the /admin page
(classbox/health) renders every panel in `order`, each from its own template with the
context its function returns. Forms in a panel post to the feature's own endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Flask

EXTENSION_KEY = "classbox_admin_panels"


@dataclass(frozen=True)
class AdminPanel:
    """One section of /admin."""

    id: str
    title: str
    template: str
    context: Callable[[], dict]
    order: int = 50


def register_panel(app: Flask, panel: AdminPanel) -> None:
    """Add a section to the /admin page."""
    app.extensions.setdefault(EXTENSION_KEY, []).append(panel)


def panels(app: Flask) -> list[AdminPanel]:
    """The registered sections, in display order."""
    return sorted(app.extensions.get(EXTENSION_KEY, []), key=lambda p: (p.order, p.id))
