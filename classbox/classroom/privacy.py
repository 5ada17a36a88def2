"""What the classroom keeps about a pupil: export, erasure, and the retention of closed sessions."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from pathlib import Path

import sqlite_utils

from classbox.features import hook

from classbox.classroom.handins import HANDIN_DIR

log = logging.getLogger("classbox.classroom.privacy")
DAY_S = 86400.0


def data_dir_of(db: sqlite_utils.Database) -> Path:
    """The data dir holding this database file."""
    return Path(db.conn.execute("PRAGMA database_list").fetchone()[2]).parent


@hook
def privacy_export(db: sqlite_utils.Database, pupil_id: str) -> dict:
    """The pupil's pseudonym, sessions and every answer and hand-in it made."""
    pupils = list(db.query(
        "SELECT p.id, p.name, p.joined_wall, s.code, s.title, s.teacher_login FROM classroom_pupils p "
        "JOIN classroom_sessions s ON s.id = p.session_id WHERE p.id = ?", [pupil_id]))
    submissions = list(db.query(
        "SELECT id, activity_id, answer, correct, file_path, file_mime, file_size, created_wall "
        "FROM classroom_submissions WHERE pupil_id = ? ORDER BY seq", [pupil_id]))
    for row in submissions:
        row["answer"] = json.loads(row["answer"])
    return {"pupils": pupils, "submissions": submissions}


@hook
def privacy_erase(db: sqlite_utils.Database, pupil_id: str) -> int:
    """Delete the pupil, its answers and its hand-in files; the number of records removed."""
    files = [r[0] for r in db.execute("SELECT file_path FROM classroom_submissions WHERE pupil_id = ? "
                                      "AND file_path IS NOT NULL", [pupil_id]).fetchall()]
    with db.conn:
        count = db.execute("DELETE FROM classroom_submissions WHERE pupil_id = ?", [pupil_id]).rowcount
        count += db.execute("DELETE FROM classroom_pupils WHERE id = ?", [pupil_id]).rowcount
    root = data_dir_of(db)
    for relative in files:
        _remove_file(root, relative)
    return count


def _remove_file(root: Path, relative: str) -> None:
    path = (root / relative).resolve()
    if (root / HANDIN_DIR).resolve() in path.parents:
        path.unlink(missing_ok=True)


def purge_closed(db: sqlite_utils.Database, retention_days: int, now: float | None = None) -> int:
    """Delete sessions closed more than `retention_days` ago, with their pupils, answers and files.

    A session opened for a class that still exists is kept: it goes with its class at the end of the
    school year (classes.privacy.purge_expired), so that a pupil's work follows them all year."""
    now = time.time() if now is None else now
    horizon = now - retention_days * DAY_S
    old = [r[0] for r in db.execute("SELECT id FROM classroom_sessions WHERE state = 'closed' AND closed_wall < ? "
                                    "AND (class_id IS NULL OR class_id NOT IN (SELECT id FROM classes))",
                                    [horizon]).fetchall()]
    root = data_dir_of(db)
    for session_id in old:
        with db.conn:
            db.execute("DELETE FROM classroom_sessions WHERE id = ?", [session_id])
        shutil.rmtree(root / HANDIN_DIR / str(int(session_id)), ignore_errors=True)
    return len(old)


class RetentionService:
    """Agent service: purge expired closed sessions every hour."""

    name = "classroom-retention"

    def __init__(self, data_dir: Path, retention_days: int, every_s: float = 3600.0) -> None:
        self.data_dir, self.retention_days, self.every_s = Path(data_dir), retention_days, every_s

    def run(self, stop: threading.Event) -> None:
        from classbox.storage import open_database

        while True:
            db = open_database(self.data_dir)
            try:
                purged = purge_closed(db, self.retention_days)
                if purged:
                    log.info("purged %d closed class sessions older than %d days", purged, self.retention_days)
            finally:
                db.conn.close()
            if stop.wait(self.every_s):
                return
