"""Export and erase one pupil's data through every feature's privacy hooks."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from classbox import features


def export_pupil(db: sqlite_utils.Database, pupil_id: str) -> dict[str, Any]:
    """Everything the box keeps about a pupil, by feature."""
    return {"pupil_id": pupil_id,
            "features": {name: hook(db, pupil_id) for name, hook in features.named_hooks("privacy_export")}}


def erase_pupil(db: sqlite_utils.Database, pupil_id: str) -> dict[str, int]:
    """Erase a pupil everywhere on the box; rows removed, by feature."""
    return {name: int(hook(db, pupil_id) or 0) for name, hook in features.named_hooks("privacy_erase")}
