"""What classes keep about a pupil (a class member): export, erasure, and erasure at the end of the school year."""

from __future__ import annotations

import datetime
import logging
import threading
from pathlib import Path

import sqlite_utils

log = logging.getLogger("classbox.classes.privacy")


def export_member(db: sqlite_utils.Database, member_id: str) -> dict:
    """The member's first name or pseudonym, picture, order and class (name, levels, owner, retention)."""
    rows = list(db.query(
        "SELECT m.id, m.name, m.picture, m.position, m.created_wall, c.id AS class_id, c.name AS class_name, "
        "c.levels AS class_levels, c.retain_until, c.owner_id FROM class_members m "
        "JOIN classes c ON c.id = m.class_id WHERE m.id = ?", [member_id]))
    return {"members": rows}


def erase_member(db: sqlite_utils.Database, member_id: str) -> int:
    """Delete the member from its class; the number of records removed."""
    with db.conn:
        return db.execute("DELETE FROM class_members WHERE id = ?", [member_id]).rowcount


def purge_expired(db: sqlite_utils.Database, today: datetime.date | None = None) -> tuple[int, int]:
    """Delete the classes whose end of school year has passed, with their members: (classes, members).

    A box that boots with its clock in the past erases nothing early; the date is the day after
    `retain_until` at the earliest."""
    day = (today or datetime.date.today()).isoformat()
    with db.conn:
        members = db.execute("DELETE FROM class_members WHERE class_id IN "
                             "(SELECT id FROM classes WHERE retain_until < ?)", [day]).rowcount
        classes = db.execute("DELETE FROM classes WHERE retain_until < ?", [day]).rowcount
    return classes, members


class ClassRetentionService:
    """Agent service: erase classes past their end of school year, every hour."""

    name = "classes-retention"

    def __init__(self, data_dir: Path, every_s: float = 3600.0) -> None:
        self.data_dir, self.every_s = Path(data_dir), every_s

    def run(self, stop: threading.Event) -> None:
        """Purge, then wait `every_s`, until `stop` is set."""
        from classbox.storage import open_database

        while True:
            db = open_database(self.data_dir)
            try:
                classes, members = purge_expired(db)
                if classes:
                    log.info("erased %d class(es) past their end of school year (%d members)", classes, members)
            finally:
                db.conn.close()
            if stop.wait(self.every_s):
                return
