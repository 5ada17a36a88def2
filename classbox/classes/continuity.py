"""A class's work across its sessions, read from the classroom tables in a few indexed queries.

Only sessions opened for the class *by its owner* count, and only pupils who joined as one of
its members (classroom_pupils.member_id); the latest answer of a member to an activity wins,
as in a session's results.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import sqlite_utils

from classbox.classes.progress import Answer

# {member_filter}: every member's rows, or one member's. SQLite takes the bare columns of a MAX()
# aggregate from the row holding the maximum: the latest answer.
LATEST_SQL = (
    "SELECT p.member_id, sub.activity_id, sub.correct, MAX(sub.seq) "
    "FROM classroom_sessions s JOIN classroom_pupils p ON p.session_id = s.id "
    "JOIN classroom_submissions sub ON sub.pupil_id = p.id "
    "WHERE s.class_id = ? AND s.teacher_id = ? {member_filter} GROUP BY sub.pupil_id, sub.activity_id")
ATTENDANCE_SQL = (
    "SELECT DISTINCT p.member_id, p.session_id FROM classroom_sessions s "
    "JOIN classroom_pupils p ON p.session_id = s.id WHERE s.class_id = ? AND s.teacher_id = ? {member_filter}")


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
    """The class's quizzes, hand-in requests and H5P exercises by id, each with its session and decoded spec
    (a step of a lesson released for the pupils' own pace is asked to every pupil of its session)."""
    rows = db.execute(
        "SELECT a.id, a.session_id, a.type, a.spec, a.targets, a.seq FROM classroom_sessions s "
        "JOIN classroom_activities a ON a.session_id = s.id "
        "WHERE s.class_id = ? AND s.teacher_id = ? AND a.type IN ('quiz', 'handin', 'h5p') ORDER BY a.seq",
        [class_id, owner_id]).fetchall()
    found = {r[0]: {"id": r[0], "session_id": r[1], "type": r[2], "spec": json.loads(r[3]),
                    "targets": json.loads(r[4]) if r[4] else None, "seq": r[5]} for r in rows}
    for activity in found.values():
        if released(activity["spec"]):
            activity["targets"] = None  # stored for nobody live, done by each pupil at their own pace
    return found


def released(spec: dict) -> bool:
    """Whether an activity is a step of a lesson released for the pupils' own pace."""
    return isinstance(spec.get("lesson"), dict) and bool(spec["lesson"].get("release"))



def _filter(class_id: int, owner_id: int, member_id: str | None) -> tuple[str, list[Any]]:
    if member_id is None:  # unary +: not the member index (every class's pupils), the class's sessions first
        return "AND +p.member_id IS NOT NULL", [class_id, owner_id]
    return "AND p.member_id = ?", [class_id, owner_id, member_id]


def latest_answers(db: sqlite_utils.Database, class_id: int, owner_id: int,
                   member_id: str | None = None) -> list[Answer]:
    """Every member's latest answer to each activity of the class (one member's, if given)."""
    member_filter, params = _filter(class_id, owner_id, member_id)
    return db.execute(LATEST_SQL.format(member_filter=member_filter), params).fetchall()  # plain tuples: 75k a year


def attendance(db: sqlite_utils.Database, class_id: int, owner_id: int,
               member_id: str | None = None) -> list[tuple[str, int]]:
    """(member id, session id) of every member present in a session of the class."""
    member_filter, params = _filter(class_id, owner_id, member_id)
    return [(r[0], r[1]) for r in db.execute(ATTENDANCE_SQL.format(member_filter=member_filter), params)]


def iter_submissions(db: sqlite_utils.Database, class_id: int, owner_id: int,
                     member_id: str | None = None) -> Iterator[dict]:
    """Each member's (or one member's) latest answer or hand-in to each activity, with what they answered,
    in order, one at a time (a year of a class is ~75,000 rows: never all in memory for an export)."""
    member_filter, params = _filter(class_id, owner_id, member_id)
    rows = db.query(
        "SELECT sub.id, p.member_id, sub.activity_id, sub.session_id, sub.answer, sub.correct, sub.file_path, "
        "sub.file_mime, sub.file_size, MAX(sub.seq) AS seq FROM classroom_sessions s "
        "JOIN classroom_pupils p ON p.session_id = s.id JOIN classroom_submissions sub ON sub.pupil_id = p.id "
        f"WHERE s.class_id = ? AND s.teacher_id = ? {member_filter} "
        "GROUP BY sub.pupil_id, sub.activity_id ORDER BY seq", params)
    for row in rows:
        yield {**row, "answer": json.loads(row["answer"])}


def submissions(db: sqlite_utils.Database, class_id: int, owner_id: int, member_id: str) -> list[dict]:
    """One member's latest answer or hand-in to each activity of the class, in order."""
    return list(iter_submissions(db, class_id, owner_id, member_id))


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
    if activity["type"] == "h5p" and isinstance(answer, dict):
        return f"{answer.get('score')} / {answer.get('max')}"
    if activity["type"] == "quiz" and spec.get("kind") in ("single", "multiple"):
        picked = [answer] if isinstance(answer, int) else answer if isinstance(answer, list) else []
        choices = spec.get("choices", [])
        return " | ".join(str(choices[i]) for i in picked if isinstance(i, int) and 0 <= i < len(choices))
    if isinstance(answer, dict):
        return str(answer.get("text") or answer.get("filename") or "")
    return "" if answer is None else str(answer)
