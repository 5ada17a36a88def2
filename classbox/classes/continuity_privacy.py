"""RGPD for continuity: a member's work in every session, exported and erased through every feature's hooks,
and a class's sessions erased with the class at the end of its school year."""

from __future__ import annotations

import shutil
from typing import Any

import sqlite_utils

from classbox import features


def member_pupils(db: sqlite_utils.Database, member_id: str) -> list[dict]:
    """The pupil a member was in each session (tapping their name), with the session, oldest first."""
    return list(db.query(
        "SELECT p.id AS pupil_id, s.id AS session_id, s.code, s.title, s.class_id, s.teacher_login, s.created_wall "
        "FROM classroom_pupils p JOIN classroom_sessions s ON s.id = p.session_id WHERE p.member_id = ? "
        "ORDER BY p.seq", [member_id]))


def _others(hook: str) -> list:
    return [(name, fn) for name, fn in features.named_hooks(hook) if name != "classes"]


def export_member(db: sqlite_utils.Database, member_id: str) -> list[dict[str, Any]]:
    """Per session: the session and what each other feature keeps about the member's pupil in it."""
    hooks = _others("privacy_export")
    return [{"session": {k: row[k] for k in ("code", "title", "class_id", "teacher_login", "created_wall")},
             "pupil_id": row["pupil_id"], "features": {name: fn(db, row["pupil_id"]) for name, fn in hooks}}
            for row in member_pupils(db, member_id)]


def erase_member(db: sqlite_utils.Database, member_id: str) -> int:
    """Erase the member's pupil in every session through each other feature (answers, files, ENT queue)."""
    hooks = _others("privacy_erase")
    return sum(int(fn(db, row["pupil_id"]) or 0) for row in member_pupils(db, member_id) for _, fn in hooks)


def erase_class_sessions(db: sqlite_utils.Database, class_ids: list[int]) -> int:
    """Delete the sessions of these classes with their pupils, activities, answers and hand-in files."""
    from classbox.classroom.handin_disk import HANDIN_DIR
    from classbox.classroom.privacy import data_dir_of

    if not class_ids:
        return 0
    marks = ",".join("?" * len(class_ids))
    sessions = [r[0] for r in db.execute(f"SELECT id FROM classroom_sessions WHERE class_id IN ({marks})", class_ids)]
    root = data_dir_of(db) / HANDIN_DIR
    for session_id in sessions:
        with db.conn:  # activities, pupils and submissions go with it (ON DELETE CASCADE)
            db.execute("DELETE FROM classroom_sessions WHERE id = ?", [session_id])
        shutil.rmtree(root / str(int(session_id)), ignore_errors=True)
    return len(sessions)
