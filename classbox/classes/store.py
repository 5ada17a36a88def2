"""Classes and their members in the database; every call is scoped to the owning teacher."""

from __future__ import annotations

import datetime
import time
import uuid
from typing import Any

import sqlite_utils

from classbox.classes import archive, pictograms
from classbox.classes.errors import ClassesError
from classbox.classes.model import MAX_MEMBERS, clean_class_name, clean_levels, clean_member_name, clean_picture

DEFAULT_YEAR_END = "08-31"


def school_year_end(today: datetime.date, month_day: str = DEFAULT_YEAR_END) -> datetime.date:
    """The first end of school year (`MM-DD`, e.g. 31 August) strictly after `today`."""
    month, day = (int(part) for part in month_day.split("-"))
    end = datetime.date(today.year, month, day)
    return end if end > today else datetime.date(today.year + 1, month, day)


def create_class(db: sqlite_utils.Database, owner_id: int, name: Any, levels: Any,
                 year_end: str = DEFAULT_YEAR_END, today: datetime.date | None = None,
                 archive_md: str = archive.DEFAULT_ARCHIVE) -> dict:
    """A new empty class of `owner_id`, archived on `archive_md` and kept until the end of the school year
    (the next one when it is made between the two days, in the summer)."""
    name, levels = clean_class_name(name), clean_levels(levels)
    today = today or archive.today()
    retain_until = school_year_end(today, year_end)
    if archive.archive_day(retain_until, archive_md) <= today:  # made in the summer: for the next school year
        retain_until = school_year_end(retain_until, year_end)
    archive_on = archive.archive_day(retain_until, archive_md).isoformat()
    with db.conn:
        cursor = db.execute("INSERT INTO classes (owner_id, name, levels, retain_until, archive_on, created_wall) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            [owner_id, name, ",".join(levels), retain_until.isoformat(), archive_on, time.time()])
    return get_class(db, owner_id, cursor.lastrowid)


def _summary(row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "levels": row["levels"].split(","),
            "retain_until": row["retain_until"], "archived_on": archive.archived_on(row),
            "erased_on": archive.erase_day(row)}


def list_classes(db: sqlite_utils.Database, owner_id: int) -> list[dict]:
    """The teacher's classes with their member counts, by name."""
    rows = db.query("SELECT c.*, (SELECT COUNT(*) FROM class_members m WHERE m.class_id = c.id) AS members "
                    "FROM classes c WHERE owner_id = ? ORDER BY name COLLATE NOCASE, id", [owner_id])
    return [{**_summary(row), "member_count": row["members"]} for row in rows]


def _owned(db: sqlite_utils.Database, owner_id: int, class_id: Any) -> dict:
    """The class row if `owner_id` owns it; unknown_class otherwise (another's class looks absent)."""
    if not isinstance(class_id, int) or isinstance(class_id, bool) or not 0 < class_id < 2**63:
        raise ClassesError("unknown_class")
    rows = list(db.query("SELECT * FROM classes WHERE id = ? AND owner_id = ?", [class_id, owner_id]))
    if not rows:
        raise ClassesError("unknown_class")
    return rows[0]


def _active(db: sqlite_utils.Database, owner_id: int, class_id: Any) -> dict:
    """The class row if `owner_id` owns it and it is not archived (read-only)."""
    row = _owned(db, owner_id, class_id)
    archive.check_active(row)
    return row


def set_archived(db: sqlite_utils.Database, owner_id: int, class_id: Any, archived: Any) -> dict:
    """Archive one of the teacher's classes by hand, or restore it until its erasure."""
    archive.set_archived(db, _owned(db, owner_id, class_id), archived)
    return get_class(db, owner_id, class_id)


def members(db: sqlite_utils.Database, class_id: int) -> list[dict]:
    """A class's members in the teacher's order, each with its picture's URL."""
    rows = db.query("SELECT id, name, picture, position FROM class_members WHERE class_id = ? "
                    "ORDER BY position, name", [class_id])
    return [{**row, "picture_url": pictograms.url(row["picture"])} for row in rows]


def get_class(db: sqlite_utils.Database, owner_id: int, class_id: Any) -> dict:
    """One of the teacher's classes with its members."""
    return {**_summary(_owned(db, owner_id, class_id)), "members": members(db, class_id)}


def add_members(db: sqlite_utils.Database, owner_id: int, class_id: Any, entries: list[dict]) -> list[dict]:
    """Append members ({name, picture?}) to a class, all or none; the members added."""
    _active(db, owner_id, class_id)
    existing = members(db, class_id)
    taken = {m["name"].casefold() for m in existing}
    if len(existing) + len(entries) > MAX_MEMBERS:
        raise ClassesError("too_many_members", max=MAX_MEMBERS)
    cleaned = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ClassesError("malformed")
        name = clean_member_name(entry.get("name"))
        if name.casefold() in taken:
            raise ClassesError("duplicate_name")
        taken.add(name.casefold())
        cleaned.append((name, entry.get("picture")))
    free = iter(pictograms.next_pictures([m["picture"] for m in existing], len(cleaned)))
    position = max((m["position"] for m in existing), default=-1)
    added = []
    with db.conn:
        for name, picture in cleaned:
            picture = clean_picture(picture) if picture is not None else next(free)
            position += 1
            member = {"id": str(uuid.uuid4()), "name": name, "picture": picture, "position": position}
            db.execute("INSERT INTO class_members (id, class_id, name, picture, position, created_wall) "
                       "VALUES (?, ?, ?, ?, ?, ?)", [member["id"], class_id, name, picture, position, time.time()])
            added.append({**member, "picture_url": pictograms.url(picture)})
    return added


def _member(db: sqlite_utils.Database, owner_id: int, class_id: Any, member_id: Any) -> dict:
    _active(db, owner_id, class_id)
    rows = list(db.query("SELECT * FROM class_members WHERE id = ? AND class_id = ?", [str(member_id), class_id]))
    if not rows:
        raise ClassesError("unknown_member")
    return rows[0]


def update_member(db: sqlite_utils.Database, owner_id: int, class_id: Any, member_id: Any,
                  name: Any = None, picture: Any = None) -> dict:
    """Rename a member and/or give it another picture; its id (the pseudonymous actor) stays."""
    member = _member(db, owner_id, class_id, member_id)
    new_name = member["name"] if name is None else clean_member_name(name)
    new_picture = member["picture"] if picture is None else clean_picture(picture)
    clash = db.execute("SELECT 1 FROM class_members WHERE class_id = ? AND id != ? AND name = ? COLLATE NOCASE",
                       [class_id, member["id"], new_name]).fetchone()
    if clash:
        raise ClassesError("duplicate_name")
    with db.conn:
        db.execute("UPDATE class_members SET name = ?, picture = ? WHERE id = ?", [new_name, new_picture, member["id"]])
    return {"id": member["id"], "name": new_name, "picture": new_picture, "position": member["position"],
            "picture_url": pictograms.url(new_picture)}


def remove_member(db: sqlite_utils.Database, owner_id: int, class_id: Any, member_id: Any) -> None:
    """Remove a member from the class."""
    member = _member(db, owner_id, class_id, member_id)
    with db.conn:
        db.execute("DELETE FROM class_members WHERE id = ?", [member["id"]])


def reorder_members(db: sqlite_utils.Database, owner_id: int, class_id: Any, member_ids: Any) -> list[dict]:
    """Put the members in the given order (every member of the class, each once)."""
    _active(db, owner_id, class_id)
    current = {m["id"] for m in members(db, class_id)}
    if not isinstance(member_ids, list) or len(member_ids) != len(current) or set(member_ids) != current:
        raise ClassesError("bad_order")
    with db.conn:
        for position, member_id in enumerate(member_ids):
            db.execute("UPDATE class_members SET position = ? WHERE id = ?", [position, member_id])
    return members(db, class_id)


def delete_class(db: sqlite_utils.Database, owner_id: int, class_id: Any) -> int:
    """Delete a class and its members; the number of members removed."""
    _owned(db, owner_id, class_id)
    with db.conn:
        count = db.execute("DELETE FROM class_members WHERE class_id = ?", [class_id]).rowcount
        db.execute("DELETE FROM classes WHERE id = ?", [class_id])
    return count
