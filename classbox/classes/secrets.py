"""The optional two-picture secret of a class's members: tap two pictures in order to join."""

from __future__ import annotations

import hmac
import secrets as random
from typing import Any

import sqlite_utils

from classbox.classes import pictograms
from classbox.classes.errors import ClassesError
from classbox.classes.store import _owned

# The pad a pupil taps the secret on: twelve pictures a six-year-old tells apart (144 pairs).
SECRET_PICTURES = ("apple", "banana", "strawberry", "cherries", "carrot", "sun",
                   "moon", "star", "rocket", "football", "car", "gift")


def pad() -> list[dict]:
    """The secret pad's pictures in order: {id, url}."""
    return [{"id": p, "url": pictograms.url(p)} for p in SECRET_PICTURES]


def enabled(db: sqlite_utils.Database, class_id: int) -> bool:
    """Whether the class's members must tap their secret to join."""
    return db.execute("SELECT 1 FROM class_join_secrets WHERE class_id = ?", [class_id]).fetchone() is not None


def _new_pair() -> tuple[str, str]:
    return random.choice(SECRET_PICTURES), random.choice(SECRET_PICTURES)


def _store(db: sqlite_utils.Database, member_id: str, pair: tuple[str, str]) -> None:
    db.execute("INSERT INTO class_member_secrets (member_id, first, second) VALUES (?, ?, ?) "
               "ON CONFLICT(member_id) DO UPDATE SET first = excluded.first, second = excluded.second",
               [member_id, *pair])


def set_enabled(db: sqlite_utils.Database, owner_id: int, class_id: Any, on: Any) -> bool:
    """Turn the class's secrets on (every member without one gets a random one) or off."""
    _owned(db, owner_id, class_id)
    if not isinstance(on, bool):
        raise ClassesError("malformed")
    with db.conn:
        if on:
            db.execute("INSERT OR IGNORE INTO class_join_secrets (class_id) VALUES (?)", [class_id])
        else:
            db.execute("DELETE FROM class_join_secrets WHERE class_id = ?", [class_id])
    if on:
        class_secrets(db, class_id)
    return on


def class_secrets(db: sqlite_utils.Database, class_id: int) -> dict[str, list[str]]:
    """{member id: [first, second]} of a class with secrets on (members added since get one now)."""
    if not enabled(db, class_id):
        return {}
    found = {row[0]: [row[1], row[2]] for row in db.execute(
        "SELECT s.member_id, s.first, s.second FROM class_member_secrets s JOIN class_members m "
        "ON m.id = s.member_id WHERE m.class_id = ?", [class_id])}
    missing = [row[0] for row in db.execute("SELECT id FROM class_members WHERE class_id = ?", [class_id])
               if row[0] not in found]
    if missing:
        with db.conn:
            for member_id in missing:
                found[member_id] = list(_new_pair())
                _store(db, member_id, tuple(found[member_id]))
    return found


def clean_pair(raw: Any) -> tuple[str, str]:
    """Two pictures of the pad, in order."""
    if not isinstance(raw, list) or len(raw) != 2 or not all(isinstance(p, str) and p in SECRET_PICTURES for p in raw):
        raise ClassesError("invalid_secret")
    return raw[0], raw[1]


def reset_secret(db: sqlite_utils.Database, owner_id: int, class_id: Any, member_id: Any,
                 pair: Any = None) -> list[str]:
    """Give a member a new secret (random, or the two pictures the teacher chose); the secret."""
    _owned(db, owner_id, class_id)
    if not enabled(db, class_id):
        raise ClassesError("secrets_off")
    row = db.execute("SELECT id FROM class_members WHERE id = ? AND class_id = ?", [str(member_id), class_id]).fetchone()
    if row is None:
        raise ClassesError("unknown_member")
    chosen = _new_pair() if pair is None else clean_pair(pair)
    with db.conn:
        _store(db, row[0], chosen)
    return list(chosen)


def member_secret(db: sqlite_utils.Database, member_id: str) -> list[str] | None:
    """Read only: the member's secret, [] when secrets are on but the teacher has not seen one yet
    (nothing matches it), None when secrets are off for its class."""
    row = db.execute("SELECT s.first, s.second, j.class_id FROM class_members m "
                     "JOIN class_join_secrets j ON j.class_id = m.class_id "
                     "LEFT JOIN class_member_secrets s ON s.member_id = m.id WHERE m.id = ?", [member_id]).fetchone()
    if row is None:
        return None
    return [row[0], row[1]] if row[0] is not None else []


def matches(expected: list[str], given: Any) -> bool:
    """Whether the pupil tapped the two pictures of the secret, in order (constant time)."""
    if len(expected) != 2 or not isinstance(given, list) or len(given) != 2 or not all(isinstance(p, str) and len(p) < 40 for p in given):
        return False
    return hmac.compare_digest("|".join(expected), "|".join(given))
