"""Checks of what pupils and teachers type: names, titles, device-made ids."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime, timezone
from typing import Any

from flask_babel import format_datetime, gettext

from classbox.classroom.errors import ClassroomError
from classbox.web.i18n_marks import N_

NAME_MAX = 30
TITLE_MAX = 120
# Bidirectional embeddings, overrides, isolates and marks: they can make a name read backwards.
DIRECTION_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters that draw nothing (Hangul fillers, braille blank, the invisible Khmer vowels).
INVISIBLE = frozenset("\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")
NAME_TOO_LONG = N_("Ce prénom a %(n)s caractères : 30 au plus.")
NAME_CONTROL = N_("Ce prénom contient un caractère de contrôle refusé : %(char)s.")
NAME_INVISIBLE = N_("Ce prénom ne contient aucun caractère visible.")


def clean_name(raw: Any) -> str:
    """A pupil's first name or pseudonym, as written (N'Diaye, Zoé & Léo); ClassroomError saying what is refused.

    Refused: control characters (including the ones that reverse the writing direction), a name
    with nothing visible in it (U+3164, zero-width spaces…), more than 30 characters. Markup
    characters are accepted: every page and export escapes names.
    """
    if not isinstance(raw, str):
        raise ClassroomError("invalid_name", "malformed")
    if len(raw) > 200:  # not worth normalising
        raise ClassroomError("invalid_name", "too_long", NAME_TOO_LONG, n=len(raw))
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        raise ClassroomError("invalid_name", "empty")
    refused = next((c for c in name if unicodedata.category(c) in ("Cc", "Cs") or c in DIRECTION_CONTROLS), None)
    if refused is not None:
        raise ClassroomError("invalid_name", "control", NAME_CONTROL, char=f"U+{ord(refused):04X}")
    if all(_invisible(c) for c in name):
        raise ClassroomError("invalid_name", "invisible", NAME_INVISIBLE)
    if len(name) > NAME_MAX:
        raise ClassroomError("invalid_name", "too_long", NAME_TOO_LONG, n=len(name))
    return name


def _invisible(char: str) -> bool:
    """A character that shows nothing on its own: spaces, format characters, fillers, lone accents."""
    return char.isspace() or char in INVISIBLE or unicodedata.category(char) in ("Cf", "Mn", "Me", "Zs")


def clean_title(raw: Any, now: float) -> str:
    """A session title chosen by the teacher (default: the date and time `now`, in the box's zone and language)."""
    if raw is None or raw == "":
        moment = datetime.fromtimestamp(now, timezone.utc)
        return gettext("Séance du %(date)s", date=format_datetime(moment, "short"))
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
