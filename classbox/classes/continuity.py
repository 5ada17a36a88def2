"""A class's work across its sessions, read from the classroom tables in a few indexed queries.

Only sessions opened for the class *by its owner* count, and only pupils who joined as one of
its members (classroom_pupils.member_id); the latest answer of a member to an activity wins,
as in a session's results.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from classbox.classes.progress import Answer

ANSWERABLE = ("quiz", "handin")


def sessions(db: sqlite_utils.Database, class_id: int, owner_id: int) -> list[dict]:
    """The class's sessions, oldest first (by sequence number, never by wall clock)."""
    return list(db.query(
        "SELECT id, code, title, state, created_wall, seq FROM classroom_sessions "
        "WHERE class_id = ? AND teacher_id = ? ORDER BY seq", [class_id, owner_id]))


def lesson_title(spec: dict) -> str:
    """The title of the lesson an activity was played from ("" when pushed by hand)."""
    lesson = spec.get("lesson")
    if isinstance(lesson, dict):
        return str(lesson.get("title") or "")
    return ""


def activities(db: sqlite_utils.Database, class_id: int, owner_id: int) -> dict[str, dict]:
    """The class's quizzes and hand-in requests by id, each with its session and decoded spec."""
    rows = db.execute(
        "SELECT a.id, a.session_id, a.type, a.spec, a.targets, a.seq FROM classroom_sessions s "
        "JOIN classroom_activities a ON a.session_id = s.id "
        "WHERE s.class_id = ? AND s.teacher_id = ? AND a.type IN ('quiz', 'handin') ORDER BY a.seq",
        [class_id, owner_id]).fetchall()
    return {r[0]: {"id": r[0], "session_id": r[1], "type": r[2], "spec": json.loads(r[3]),
                   "targets": json.loads(r[4]) if r[4] else None, "seq": r[5]} for r in rows}


def latest_answers(db: sqlite_utils.Database, class_id: int, owner_id: int,
                   member_id: str | None = None) -> list[Answer]:
    """Every member's latest answer to each activity of the class (one member's, if given)."""
    member_filter = "AND p.member_id = ?" if member_id is not None else "AND p.member_id IS NOT NULL"
    params: list[Any] = [class_id, owner_id] + ([member_id] if member_id is not None else [])
    # SQLite takes the bare columns of a MAX() aggregate from the row holding the maximum.
    rows = db.execute(
        "SELECT p.member_id, sub.activity_id, sub.correct, sub.file_path IS NOT NULL, MAX(sub.seq) "
        "FROM classroom_sessions s JOIN classroom_pupils p ON p.session_id = s.id "
        "JOIN classroom_submissions sub ON sub.pupil_id = p.id "
        f"WHERE s.class_id = ? AND s.teacher_id = ? {member_filter} "
        "GROUP BY p.member_id, sub.activity_id", params).fetchall()
    return [Answer(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows]


def attendance(db: sqlite_utils.Database, class_id: int, owner_id: int,
               member_id: str | None = None) -> list[tuple[str, int]]:
    """(member id, session id) of every member present in a session of the class."""
    member_filter = "AND p.member_id = ?" if member_id is not None else "AND p.member_id IS NOT NULL"
    params: list[Any] = [class_id, owner_id] + ([member_id] if member_id is not None else [])
    return [(r[0], r[1]) for r in db.execute(
        "SELECT DISTINCT p.member_id, p.session_id FROM classroom_sessions s "
        "JOIN classroom_pupils p ON p.session_id = s.id "
        f"WHERE s.class_id = ? AND s.teacher_id = ? {member_filter}", params).fetchall()]


def submissions(db: sqlite_utils.Database, class_id: int, owner_id: int, member_id: str | None = None) -> list[dict]:
    """Each member's (or one member's) latest answer or hand-in to each activity, with what they answered, in order."""
    member_filter = "AND p.member_id = ?" if member_id is not None else "AND p.member_id IS NOT NULL"
    params: list[Any] = [class_id, owner_id] + ([member_id] if member_id is not None else [])
    rows = db.query(
        "SELECT sub.id, p.member_id, sub.activity_id, sub.session_id, sub.answer, sub.correct, sub.file_path, "
        "sub.file_mime, sub.file_size, MAX(sub.seq) AS seq FROM classroom_sessions s "
        "JOIN classroom_pupils p ON p.session_id = s.id JOIN classroom_submissions sub ON sub.pupil_id = p.id "
        f"WHERE s.class_id = ? AND s.teacher_id = ? {member_filter} "
        "GROUP BY p.member_id, sub.activity_id ORDER BY seq", params)
    return [{**row, "answer": json.loads(row["answer"])} for row in rows]


def member_pupil_ids(db: sqlite_utils.Database, class_id: int, owner_id: int, member_id: str) -> dict[int, set]:
    """The pupil ids a member had in each session of the class (to know which targeted activities were theirs)."""
    found: dict[int, set] = {}
    for session_id, pupil_id in db.execute(
            "SELECT p.session_id, p.id FROM classroom_sessions s JOIN classroom_pupils p ON p.session_id = s.id "
            "WHERE s.class_id = ? AND s.teacher_id = ? AND p.member_id = ?", [class_id, owner_id, member_id]):
        found.setdefault(session_id, set()).add(pupil_id)
    return found


def answer_text(activity: dict, answer: Any) -> str:
    """What a pupil answered, as a teacher reads it (the chosen choices' text, the text handed in)."""
    spec = activity["spec"]
    if activity["type"] == "quiz" and spec.get("kind") in ("single", "multiple"):
        picked = [answer] if isinstance(answer, int) else answer if isinstance(answer, list) else []
        choices = spec.get("choices", [])
        return " | ".join(str(choices[i]) for i in picked if isinstance(i, int) and 0 <= i < len(choices))
    if isinstance(answer, dict):
        return str(answer.get("text") or answer.get("filename") or "")
    return "" if answer is None else str(answer)
