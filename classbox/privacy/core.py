"""Export and erase one pupil's data through every feature's privacy hooks."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from classbox import features


def _feature_hooks(name: str) -> list[tuple[str, Any]]:
    """(feature name, hook) for every feature offering `name`."""
    return [(module.__name__.rsplit(".", 1)[-1], getattr(module, name))
            for module in features.feature_modules() if hasattr(module, name)]


def export_pupil(db: sqlite_utils.Database, pupil_id: str) -> dict[str, Any]:
    """Everything the box keeps about a pupil, by feature."""
    return {"pupil_id": pupil_id,
            "features": {name: hook(db, pupil_id) for name, hook in _feature_hooks("privacy_export")}}


def erase_pupil(db: sqlite_utils.Database, pupil_id: str) -> dict[str, int]:
    """Erase a pupil everywhere on the box; rows removed, by feature."""
    return {name: int(hook(db, pupil_id) or 0) for name, hook in _feature_hooks("privacy_erase")}
