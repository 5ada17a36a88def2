"""What classes keep about a pupil (a class member): export, erasure, and erasure at the end of the school year."""

from __future__ import annotations

import datetime
import logging
import threading
from pathlib import Path

import sqlite_utils

from classbox.classes.continuity_privacy import erase_class_sessions, erase_member, export_member
from classbox.features import hook

log = logging.getLogger("classbox.classes.privacy")


@hook
def privacy_export(db: sqlite_utils.Database, pupil_id: str) -> dict:
    """The member's first name or pseudonym, picture, order and class (name, levels, owner, retention), and
    their work in every session they joined as the member (continuity)."""
    rows = list(db.query(
        "SELECT m.id, m.name, m.picture, m.position, m.created_wall, c.id AS class_id, c.name AS class_name, "
        "c.levels AS class_levels, c.retain_until, c.owner_id FROM class_members m "
        "JOIN classes c ON c.id = m.class_id WHERE m.id = ?", [pupil_id]))
    return {"members": rows, "continuity": export_member(db, pupil_id)}


@hook
def privacy_erase(db: sqlite_utils.Database, pupil_id: str) -> int:
    """Delete the member from its class and their work in every session; the number of records removed."""
    count = erase_member(db, pupil_id)
    with db.conn:
        return count + db.execute("DELETE FROM class_members WHERE id = ?", [pupil_id]).rowcount


def purge_expired(db: sqlite_utils.Database, today: datetime.date | None = None,
                  erased: list[str] | None = None) -> tuple[int, int]:
    """Delete the classes whose end of school year has passed, with their members and their sessions
    (pupils, answers, hand-in files): (classes, members).

    A box that boots with its clock in the past erases nothing early; the date is the day after
    `retain_until` at the earliest."""
    day = (today or datetime.date.today()).isoformat()
    expired = [r[0] for r in db.execute("SELECT id FROM classes WHERE retain_until < ?", [day])]
    if erased is not None:  # the members' ids, for their secret locks in Redis (shared_secretlock.forget_members)
        erased += [r[0] for r in db.execute("SELECT m.id FROM class_members m JOIN classes c ON c.id = m.class_id "
                                            "WHERE c.retain_until < ?", [day])]
    erase_class_sessions(db, expired)
    with db.conn:
        members = db.execute("DELETE FROM class_members WHERE class_id IN "
                             "(SELECT id FROM classes WHERE retain_until < ?)", [day]).rowcount
        classes = db.execute("DELETE FROM classes WHERE retain_until < ?", [day]).rowcount
    return classes, members


class ClassRetentionService:
    """Agent service: erase classes past their end of school year, every hour."""

    name = "classes-retention"

    def __init__(self, data_dir: Path, every_s: float = 3600.0, web: dict | None = None) -> None:
        """`web`: the [web] section (several workers: erased members' secret locks leave Redis too)."""
        self.data_dir, self.every_s, self.web = Path(data_dir), every_s, web

    def run(self, stop: threading.Event) -> None:
        """Purge, then wait `every_s`, until `stop` is set."""
        from classbox.classes.shared_secretlock import forget_members
        from classbox.runtime.shared import shared_state
        from classbox.storage import open_database

        shared = shared_state(self.web) if self.web else None
        while True:
            db = open_database(self.data_dir)
            try:
                erased: list[str] = []
                classes, members = purge_expired(db, erased=erased)
                forget_members(shared, erased)
                if classes:
                    log.info("erased %d class(es) past their end of school year (%d members)", classes, members)
            finally:
                db.conn.close()
            if stop.wait(self.every_s):
                return
