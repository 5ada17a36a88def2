"""Checks of what pupils and teachers type: names, titles, device-made ids."""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from typing import Any

from flask_babel import gettext

from classbox.classroom.errors import ClassroomError

NAME_MAX = 30
TITLE_MAX = 120


def clean_name(raw: Any) -> str:
    """A pupil's first name or pseudonym: 1–30 printable characters, no markup."""
    if not isinstance(raw, str) or len(raw) > 200:
        raise ClassroomError("invalid_name")
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not 0 < len(name) <= NAME_MAX or re.search(r"[<>&\"'`{}\\]", name) \
            or any(unicodedata.category(c)[0] == "C" for c in name):
        raise ClassroomError("invalid_name")
    return name


def clean_title(raw: Any) -> str:
    """A session title chosen by the teacher (default: the date)."""
    if raw is None or raw == "":
        return gettext("Séance du %(date)s", date=time.strftime("%d/%m/%Y %H:%M"))
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > TITLE_MAX:
        raise ClassroomError("malformed", f"title: 1 to {TITLE_MAX} characters")
    return " ".join(raw.split())


def check_uuid(raw: Any) -> str:
    """A device-made submission id, canonical form."""
    try:
        if not isinstance(raw, str) or len(raw) > 64:
            raise ValueError
        return str(uuid.UUID(raw))
    except ValueError:
        raise ClassroomError("malformed", "submission_id: a UUID") from None
