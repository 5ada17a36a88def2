"""The feature packages, and the hooks each may offer.

A feature package (classbox/<feature>/__init__.py) may define:
- `migrations`: a sqlite-utils Migrations set named "classbox.<feature>";
- `init_app(app)`: register blueprints, Socket.IO handlers, admin sections;
- `cli_commands()`: click commands or groups added to `classbox`;
- `agent_services(config)`: long-running services for `classbox agent` (see classbox.agent);
- `privacy_export(db, pupil_id) -> dict` and `privacy_erase(db, pupil_id) -> int`: what the
  feature keeps about one pupil, and erasing it (see classbox.privacy);
- `account_revoked(user_id)`: every cookie of a teacher's or admin's account was just revoked
  (logout, password change, disabled): end what they opened in this process (live sockets).
"""

from __future__ import annotations

import importlib
from types import ModuleType

# The agent starts its services in this order: discovery before sync, whose start imports an
# HTTP client, so that mDNS answers soon after start (issue #6: ≤ 2 s).
FEATURES = [
    "classbox.auth",
    "classbox.library",
    "classbox.classroom",
    "classbox.discovery",
    "classbox.sync",
    "classbox.health",
    "classbox.privacy",
    "classbox.pwa",
]


def feature_modules() -> list[ModuleType]:
    """Import every feature package."""
    return [importlib.import_module(name) for name in FEATURES]


def hooks(name: str) -> list:
    """Every feature's hook called `name`, in feature order."""
    return [getattr(m, name) for m in feature_modules() if hasattr(m, name)]
