"""Checks of what a teacher types about classes: class names, levels, member names and pictures."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from classbox.classes.errors import ClassesError
from classbox.classes.pictograms import is_picture
from classbox.classroom.checks import clean_name
from classbox.classroom.errors import ClassroomError

LEVELS = ("CP", "CE1", "CE2", "CM1", "CM2", "6e", "5e", "4e", "3e")
CLASS_NAME_MAX = 60
MAX_MEMBERS = 60


def clean_class_name(raw: Any) -> str:
    """A class name: 1–60 printable characters, no markup."""
    if not isinstance(raw, str):
        raise ClassesError("invalid_class_name")
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not 0 < len(name) <= CLASS_NAME_MAX or re.search(r"[<>]", name) \
            or any(unicodedata.category(c)[0] == "C" for c in name):
        raise ClassesError("invalid_class_name")
    return name


def clean_levels(raw: Any) -> list[str]:
    """One or more school levels (a multi-level class has several), in school order, each once."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or len(raw) > len(LEVELS):
        raise ClassesError("invalid_levels")
    canonical = {level.lower(): level for level in LEVELS}
    found = set()
    for level in raw:
        if not isinstance(level, str) or level.strip().lower() not in canonical:
            raise ClassesError("invalid_levels")
        found.add(canonical[level.strip().lower()])
    return [level for level in LEVELS if level in found]


def clean_member_name(raw: Any) -> str:
    """A member's first name or pseudonym, by the classroom's own rule for pupils' names."""
    try:
        return clean_name(raw)
    except ClassroomError as refused:
        raise ClassesError("invalid_name", cause=refused) from None


def clean_picture(raw: Any) -> str:
    """A picture id of the bundled set."""
    if not is_picture(raw):
        raise ClassesError("invalid_picture")
    return raw
