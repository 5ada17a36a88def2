"""The roster: which ENT login a pupil's pseudonym stands for (optional, imported from CSV)."""

from __future__ import annotations

import csv
import io
from typing import Callable

import sqlite_utils

PSEUDONYM_COLUMNS = ("pseudonym", "pseudonyme", "name", "nom")
LOGIN_COLUMNS = ("ent_login", "login", "identifiant", "login_ent")
CLASS_COLUMNS = ("class", "classe", "class_name")
MAX_ROWS = 10_000
MAX_FIELD = 200


class RosterError(ValueError):
    """The CSV cannot be used; nothing was imported."""


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower().lstrip("\ufeff") for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def parse_roster(text: str) -> list[tuple[str, str, str]]:
    """Rows (pseudonym, ent_login, class) from CSV text with a header line (, or ;)."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise RosterError("empty CSV")
    header = rows[0]
    who, login, klass = (_column(header, PSEUDONYM_COLUMNS), _column(header, LOGIN_COLUMNS),
                         _column(header, CLASS_COLUMNS))
    if who is None or login is None:
        raise RosterError("header must name a pseudonym column and an ent_login column")
    if len(rows) - 1 > MAX_ROWS:
        raise RosterError(f"too many rows (max {MAX_ROWS})")
    found: dict[str, tuple[str, str, str]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(who, login):
            raise RosterError(f"line {number}: missing columns")
        name, ent = row[who].strip(), row[login].strip()
        cls = row[klass].strip() if klass is not None and len(row) > klass else ""
        if not name or not ent:
            raise RosterError(f"line {number}: empty pseudonym or login")
        if max(len(name), len(ent), len(cls)) > MAX_FIELD or any(c in ent for c in "\r\n\0"):
            raise RosterError(f"line {number}: value too long or invalid")
        if name.lower() in found:
            raise RosterError(f"line {number}: pseudonym {name!r} appears twice")
        found[name.lower()] = (name, ent, cls)
    return list(found.values())


def import_roster(db: sqlite_utils.Database, text: str, replace: bool = True) -> int:
    """Load a roster CSV (replacing the old roster by default); returns the number of pupils."""
    rows = parse_roster(text)
    with db.conn:
        if replace:
            db.execute("DELETE FROM sync_roster")
        db.conn.executemany(
            "INSERT INTO sync_roster (pseudonym, ent_login, class_name) VALUES (?, ?, ?) "
            "ON CONFLICT(pseudonym) DO UPDATE SET ent_login = excluded.ent_login, "
            "class_name = excluded.class_name", rows)
    return len(rows)


def roster_lookup(db: sqlite_utils.Database) -> Callable[[str], str | None]:
    """A function pseudonym -> ENT login (None when unmapped), reading the current roster."""
    def lookup(pseudonym: str) -> str | None:
        if not pseudonym:
            return None
        row = db.execute("SELECT ent_login FROM sync_roster WHERE pseudonym = ?",
                         [pseudonym.strip()]).fetchone()
        return row[0] if row else None
    return lookup
