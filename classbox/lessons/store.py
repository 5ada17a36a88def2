"""Lessons in the database: save (one transaction), list, read; a teacher sees only their own and packs'."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import sqlite_utils

from classbox.lessons.steps import LessonError


@dataclass
class Lesson:
    """A lesson to save or as read back: title and checked steps."""

    title: str
    steps: list[dict] = field(default_factory=list)


def save_lessons(db: sqlite_utils.Database, lessons: list[Lesson], owner: dict, source: str) -> list[int]:
    """Save lessons for `owner` (a users row) in one transaction: all of them or none; their ids."""
    now = time.time()
    ids: list[int] = []
    conn = db.conn
    with conn:  # commits on success, rolls back on any error: nothing half-imported
        for lesson in lessons:
            cursor = conn.execute(
                "INSERT INTO lessons (title, owner_id, owner_login, source, created_wall, updated_wall) "
                "VALUES (?, ?, ?, ?, ?, ?)", [lesson.title, owner["id"], owner["login"], source, now, now])
            lesson_id = int(cursor.lastrowid)
            conn.executemany("INSERT INTO lesson_steps (lesson_id, position, spec) VALUES (?, ?, ?)",
                             [(lesson_id, i, json.dumps(step, ensure_ascii=False)) for i, step in enumerate(lesson.steps)])
            ids.append(lesson_id)
    return ids


def _visible(user: dict) -> tuple[str, list]:
    return "(owner_id = ? OR pack_id IS NOT NULL)", [user["id"]]


def list_lessons(db: sqlite_utils.Database, user: dict | None) -> list[dict]:
    """Lessons `user` may see (None: every lesson, for the CLI), with their number of steps."""
    where, params = _visible(user) if user is not None else ("1", [])
    rows = db.execute(
        f"SELECT l.id, l.title, l.owner_login, l.pack_id, l.source, l.version, "
        f"(SELECT COUNT(*) FROM lesson_steps s WHERE s.lesson_id = l.id) FROM lessons l WHERE {where} "
        f"ORDER BY l.id", params).fetchall()
    return [{"id": r[0], "title": r[1], "owner": r[2], "pack_id": r[3], "source": r[4], "version": r[5],
             "steps": r[6], "read_only": r[3] is not None} for r in rows]


def get_lesson(db: sqlite_utils.Database, lesson_id: int, user: dict | None) -> dict | None:
    """One lesson with its steps, if `user` may see it (None: any, for the CLI)."""
    where, params = _visible(user) if user is not None else ("1", [])
    row = db.execute(f"SELECT id, title, owner_login, pack_id, source, version FROM lessons "
                     f"WHERE id = ? AND {where}", [lesson_id, *params]).fetchone()
    if row is None:
        return None
    steps = [json.loads(s) for (s,) in db.execute(
        "SELECT spec FROM lesson_steps WHERE lesson_id = ? ORDER BY position", [lesson_id])]
    return {"id": row[0], "title": row[1], "owner": row[2], "pack_id": row[3], "source": row[4],
            "version": row[5], "read_only": row[3] is not None, "steps": steps}


def find_owner(db: sqlite_utils.Database, login: str | None) -> dict:
    """The teacher or admin account lessons are imported for (the only teacher if `login` is None)."""
    if login is None:
        rows = db.execute("SELECT id, login FROM users WHERE role = 'teacher' AND disabled = 0").fetchall()
        if len(rows) != 1:
            raise LessonError("say which teacher owns the lessons: --owner LOGIN")
        return {"id": rows[0][0], "login": rows[0][1]}
    row = db.execute("SELECT id, login FROM users WHERE login = ?", [login]).fetchone()
    if row is None:
        raise LessonError(f"no account {login!r} (create it with `classbox user add`)")
    return {"id": row[0], "login": row[1]}


def mark_missing_resources(db: sqlite_utils.Database, steps: list[dict]) -> list[dict]:
    """The steps, each resource step whose library resource is gone marked `missing: true`."""
    wanted = sorted({s["resource_id"] for s in steps if s.get("type") == "resource" and s.get("resource_id")})
    if not wanted:
        return steps
    marks = ",".join("?" * len(wanted))
    present = {row[0] for row in db.execute(f"SELECT id FROM resource WHERE id IN ({marks})", wanted)}
    return [{**s, "missing": True} if s.get("type") == "resource" and s.get("resource_id")
            and s["resource_id"] not in present else s for s in steps]
