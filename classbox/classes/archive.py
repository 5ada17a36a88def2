"""Archived classes: from `[privacy] class_archive` (or by hand) a class is read-only and opens no new
session, its progress pages and exports still work; it is erased after its end of school year."""

from __future__ import annotations

import datetime
from typing import Any

import sqlite_utils

from classbox.classes.errors import ClassesError

DEFAULT_ARCHIVE = "07-10"  # the end of classes in France


def today() -> datetime.date:
    """The box's date (tests replace it to fix the clock)."""
    return datetime.date.today()


def archive_day(retain_until: datetime.date, month_day: str = DEFAULT_ARCHIVE) -> datetime.date:
    """The last `month_day` (MM-DD) strictly before a class's last kept day: the day it is archived."""
    month, day = (int(part) for part in month_day.split("-"))
    day_in_year = datetime.date(retain_until.year, month, day)
    return day_in_year if day_in_year < retain_until else datetime.date(retain_until.year - 1, month, day)


def erase_day(row: dict) -> str:
    """The day a class is erased: the day after its last kept day (ISO)."""
    return (datetime.date.fromisoformat(row["retain_until"]) + datetime.timedelta(days=1)).isoformat()


def archived_on(row: dict, day: datetime.date | None = None) -> str | None:
    """The day the class was archived (ISO), or None while it is active."""
    return row["archive_on"] if row["archive_on"] <= (day or today()).isoformat() else None


def check_active(row: dict, day: datetime.date | None = None) -> None:
    """Refuse a change to an archived class."""
    if archived_on(row, day):
        raise ClassesError("archived_class", date=row["archive_on"], erased=erase_day(row))


def set_archived(db: sqlite_utils.Database, row: dict, archived: Any, day: datetime.date | None = None) -> str:
    """Archive a class by hand from `day`, or restore it until its erasure; its new `archive_on`."""
    if not isinstance(archived, bool):
        raise ClassesError("malformed")
    day = day or today()
    if archived:
        archive_on = min(row["archive_on"], day.isoformat())
    else:
        archive_on = erase_day(row)  # active until it is erased
    with db.conn:
        db.execute("UPDATE classes SET archive_on = ? WHERE id = ?", [archive_on, row["id"]])
    return archive_on
