"""Lessons released for self-paced work: one release per session at a time, one activity per step (store)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import sqlite_utils

from classbox.classroom import activities, store
from classbox.classroom.errors import ClassroomError
from classbox.lessons.play import feedback, lesson_ref, self_paced_payload
from classbox.storage.core import next_seq
from classbox.web.i18n_marks import N_

NOT_RELEASED = N_("Cette leçon n'est plus ouverte : l'enseignant l'a arrêtée.")
ALREADY_ANSWERED = N_("Vous avez déjà répondu à cette question.")
NO_RELEASE = N_("Aucune leçon en autonomie n'est ouverte dans cette séance.")
ANSWERED_KINDS = ("quiz", "handin")


def graded(step: dict) -> bool:
    """Whether a step counts in the score: a quiz with a right answer."""
    return step.get("type") == "quiz" and ("correct" in step or "min" in step)


def answerable(step: dict) -> bool:
    """Whether a step waits for an answer (a quiz or a hand-in) before the lesson is complete."""
    return step.get("type") in ANSWERED_KINDS


def create_release(db: sqlite_utils.Database, session_id: int, lesson: dict) -> dict:
    """Write: stop the session's open release, then release `lesson`: its steps copied, one activity each."""
    session = store.get_session(db, session_id)
    if session is None or session["state"] != "open":
        raise ClassroomError("closed")
    now = time.time()
    db.execute("UPDATE lesson_releases SET state = 'stopped', stopped_wall = ? WHERE session_id = ? AND state = 'open'",
               [now, session_id])
    release_id = uuid.uuid4().hex
    ids = []
    for index, step in enumerate(lesson["steps"]):
        kind, spec, _ = activities.validate_spec(self_paced_payload(step))
        spec["lesson"] = lesson_ref(lesson, index, release_id)
        if step.get("missing"):
            spec["missing"] = True
        activity = store.new_activity(session_id, kind, spec, [])  # for nobody live: answered through the release
        store.add_activity(db, activity)
        ids.append(activity["id"])
    steps = [{k: v for k, v in s.items() if k != "missing"} for s in lesson["steps"]]
    db.execute("INSERT INTO lesson_releases (id, session_id, lesson_id, title, steps, activity_ids, state, "
               "created_wall, seq) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
               [release_id, session_id, lesson["id"], lesson["title"], json.dumps(steps, ensure_ascii=False),
                json.dumps(ids), now, next_seq(db)])
    return get_release(db, release_id)


def stop_release(db: sqlite_utils.Database, session_id: int, release_id: Any) -> dict:
    """Write: stop a release of this session (pupils can no longer answer it); the release."""
    found = get_release(db, release_id) if isinstance(release_id, str) else None
    if found is None or found["session_id"] != session_id:
        raise ClassroomError("no_release", message=NO_RELEASE)
    db.execute("UPDATE lesson_releases SET state = 'stopped', stopped_wall = ? WHERE id = ? AND state = 'open'",
               [time.time(), found["id"]])
    return {**found, "state": "stopped"}


def _decode(row: tuple | None) -> dict | None:
    if row is None:
        return None
    steps = json.loads(row[4])
    return {"id": row[0], "session_id": row[1], "lesson_id": row[2], "title": row[3], "steps": steps,
            "activity_ids": json.loads(row[5]), "state": row[6],
            "answerable": sum(1 for s in steps if answerable(s)), "graded": sum(1 for s in steps if graded(s))}


COLUMNS = "id, session_id, lesson_id, title, steps, activity_ids, state"


def get_release(db: sqlite_utils.Database, release_id: str) -> dict | None:
    """A release by id, with its steps (answers included: for the box only) and counts."""
    return _decode(db.execute(f"SELECT {COLUMNS} FROM lesson_releases WHERE id = ?", [release_id]).fetchone())


def open_release(db: sqlite_utils.Database, session_id: int) -> dict | None:
    """The release pupils of this session are working through now, if any."""
    return _decode(db.execute(f"SELECT {COLUMNS} FROM lesson_releases WHERE session_id = ? AND state = 'open' "
                              "ORDER BY seq DESC LIMIT 1", [session_id]).fetchone())


def release_of_activity(db: sqlite_utils.Database, activity_id: str) -> dict | None:
    """The release an activity is a step of (None for a live activity)."""
    activity = store.get_activity(db, activity_id)
    lesson = (activity or {}).get("spec", {}).get("lesson") or {}
    return get_release(db, lesson["release"]) if lesson.get("release") else None


def answers_of(db: sqlite_utils.Database, release: dict, pupil_id: str | None = None) -> list[dict]:
    """Stored answers to a release's steps (one per pupil and step): {pupil_id, activity_id, answer, correct}."""
    ids = release["activity_ids"]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    who = " AND pupil_id = ?" if pupil_id is not None else ""
    rows = db.execute(f"SELECT id, pupil_id, activity_id, answer, correct FROM classroom_submissions "
                      f"WHERE activity_id IN ({marks}){who} ORDER BY seq", [*ids, *([pupil_id] if pupil_id is not None else [])])
    return [{"id": r[0], "pupil_id": r[1], "activity_id": r[2], "answer": json.loads(r[3]),
             "correct": None if r[4] is None else bool(r[4])} for r in rows]


def progress(release: dict, answers: list[dict], pupil_id: str) -> dict:
    """One pupil's progress: steps answered, right answers, out of how many, complete or not."""
    mine = {a["activity_id"]: a for a in answers if a["pupil_id"] == pupil_id}
    return {"pupil_id": pupil_id, "answered": len(mine), "total": release["answerable"],
            "correct": sum(1 for a in mine.values() if a["correct"]), "graded": release["graded"],
            "completed": release["answerable"] > 0 and len(mine) >= release["answerable"]}


def pupil_view(db: sqlite_utils.Database, release: dict, pupil_id: str | None, pending: list[dict] = ()) -> dict:
    """The release as one pupil's device gets it (None: as every pupil gets it first): steps without answers,
    its own results so far. A step's feedback and right answer are in `results` only once this pupil answered it.

    `pending`: this pupil's submission rows acked but not yet in SQLite (the answer journal's), read before `db`.
    """
    position = {aid: i for i, aid in enumerate(release["activity_ids"])}
    mine = answers_of(db, release, pupil_id) if pupil_id is not None else []
    known = {a["id"] for a in mine}
    mine += [{"id": r["id"], "pupil_id": r["pupil_id"], "activity_id": r["activity_id"], "answer": json.loads(r["answer"]),
              "correct": None if r["correct"] is None else bool(r["correct"])}
             for r in pending if r["activity_id"] in position and r["pupil_id"] == pupil_id and r["id"] not in known]
    results = {a["activity_id"]: feedback(release["steps"][position[a["activity_id"]]], a["answer"], a["correct"])
               for a in mine}
    steps = []
    for index, activity_id in enumerate(release["activity_ids"]):
        activity = store.get_activity(db, activity_id)
        steps.append({**activities.public_view(activity["id"], activity["type"], activity["spec"]), "step": index})
    return {"release_id": release["id"], "lesson_id": release["lesson_id"], "title": release["title"],
            "state": release["state"], "steps": steps, "results": results}
