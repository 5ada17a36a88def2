"""What the progress pages and exports show: a class's report and one member's report."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from classbox.classes import continuity, progress
from classbox.classes.progress import Score


def class_report(db: sqlite_utils.Database, klass: dict, owner_id: int) -> dict[str, Any]:
    """Members (totals, trend, needs help), sessions and questions of one class, from four queries."""
    sessions = continuity.sessions(db, klass["id"], owner_id)
    activities = continuity.activities(db, klass["id"], owner_id)
    answers = continuity.latest_answers(db, klass["id"], owner_id)
    attendance = continuity.attendance(db, klass["id"], owner_id)
    members = progress.summarize_members(klass["members"], activities, answers, attendance)
    questions = progress.summarize_questions(activities, answers)
    by_id = {s["id"]: s for s in sessions}
    for question in questions:
        for time in question["times"]:
            time["session"] = by_id.get(time["session_id"])
    session_rows = progress.summarize_sessions(sessions, activities, answers, attendance)
    by_session = _by_session(activities)
    for row in session_rows:
        row["lessons"] = _lessons(by_session.get(row["id"], []), row["id"])
    return {"class": klass, "members": [members[m["id"]] for m in klass["members"]],
            "needs_help": [members[m["id"]] for m in klass["members"] if members[m["id"]].needs_help],
            "sessions": session_rows, "hardest": progress.hardest(questions),
            "repeated": progress.repeated(questions), "question_count": len(questions)}


def _lessons(activities, session_id: int) -> str:
    titles = dict.fromkeys(continuity.lesson_title(a["spec"]) for a in activities if a["session_id"] == session_id)
    return ", ".join(t for t in titles if t)


def _by_session(activities: dict[str, dict]) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = {}
    for activity in activities.values():
        grouped.setdefault(activity["session_id"], []).append(activity)
    return grouped


def member_report(db: sqlite_utils.Database, klass: dict, member: dict, owner_id: int) -> dict[str, Any]:
    """One member's sessions, answers (who answered what), scores, trend and needs-help flag."""
    class_id = klass["id"]
    sessions = continuity.sessions(db, class_id, owner_id)
    activities = continuity.activities(db, class_id, owner_id)
    answers = continuity.latest_answers(db, class_id, owner_id, member["id"])
    attendance = continuity.attendance(db, class_id, owner_id, member["id"])
    mine = progress.summarize_members([member], activities, answers, attendance)[member["id"]]
    submissions = {s["activity_id"]: s for s in continuity.submissions(db, class_id, owner_id, member["id"])}
    pupil_ids = continuity.member_pupil_ids(db, class_id, owner_id, member["id"])
    by_session = _by_session(activities)
    rows = []
    for session in sessions:
        asked = [a for a in by_session.get(session["id"], [])
                 if a["targets"] is None or set(a["targets"]) & pupil_ids.get(session["id"], set())]
        if session["id"] not in mine.attended and not any(a["id"] in submissions for a in asked):
            rows.append({**session, "present": False, "items": [], "score": Score(), "questions": 0,
                         "handins_asked": 0, "lessons": _lessons(asked, session["id"])})
            continue
        items = [{"activity": a, "submission": submissions.get(a["id"]),
                  "text": continuity.answer_text(a, submissions[a["id"]]["answer"]) if a["id"] in submissions else ""}
                 for a in asked]
        rows.append({**session, "present": True, "items": items, "score": mine.by_session.get(session["id"], Score()),
                     "questions": sum(a["type"] == "quiz" and "correct" in a["spec"] for a in asked),
                     "handins_asked": sum(a["type"] == "handin" for a in asked),
                     "lessons": _lessons(asked, session["id"])})
    return {"class": klass, "member": member, "progress": mine, "sessions": rows,
            "questions": _member_questions(activities, submissions)}


def _member_questions(activities: dict[str, dict], submissions: dict[str, dict]) -> list[dict]:
    """The questions asked more than once, with this member's result each time (None: no answer)."""
    seen: dict[tuple, dict] = {}
    for activity in sorted(activities.values(), key=lambda a: a["seq"]):
        key = progress.question_key(activity)
        if key is None or "correct" not in activity["spec"]:
            continue
        entry = seen.setdefault(key, {"question": activity["spec"].get("question", ""), "marks": []})
        submission = submissions.get(activity["id"])
        entry["marks"].append(None if submission is None or submission["correct"] is None
                              else submission["correct"] == 1)
    repeated = [q for q in seen.values() if len(q["marks"]) > 1]
    for question in repeated:
        marks = [m for m in question["marks"] if m is not None]
        question["trend"] = None if len(marks) < 2 else \
            "up" if marks[-1] > marks[0] else "down" if marks[-1] < marks[0] else "steady"
    return repeated
