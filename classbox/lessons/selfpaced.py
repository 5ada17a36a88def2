"""Answers to a self-paced lesson, checked and stored in the classroom writer's transaction.

A pupil answers each step once (its feedback shows the right answer); the same submission id
sent again is acknowledged again with the same feedback. The answer that completes the lesson
queues the pupil's `completed` statement in the same transaction.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import sqlite_utils

from classbox.classroom import activities, payloads, store
from classbox.classroom.answers import AnswerRules
from classbox.classroom.errors import ClassroomError
from classbox.classroom.records import submission_record
from classbox.lessons.play import feedback
from classbox.lessons.release import ALREADY_ANSWERED, NOT_RELEASED, answers_of, get_release, progress
from classbox.sync import records
from classbox.sync.outbox import enqueue


class LessonAnswer(NamedTuple):
    """One pupil's answer to one step of a released lesson, on its way to the writer."""

    session_id: int
    pupil_id: str
    submission_id: str
    activity_id: str
    answer: Any


def _checked(db: sqlite_utils.Database, rules: AnswerRules, item: LessonAnswer) -> tuple[dict, dict, dict, dict]:
    """(pupil, session, activity, release) if this pupil may answer this step now, else ClassroomError."""
    pupil = rules.row(db, "pupil", item.pupil_id, store.get_pupil)
    session = rules.row(db, "session", item.session_id, store.get_session)
    if pupil is None or pupil["removed"] or pupil["session_id"] != item.session_id:
        raise ClassroomError("bad_token")
    if session is None or session["state"] != "open":
        raise ClassroomError("closed")
    activity = rules.row(db, "activity", item.activity_id, store.get_activity)
    lesson = (activity or {}).get("spec", {}).get("lesson") or {}
    if activity is None or activity["session_id"] != item.session_id or not lesson.get("release"):
        raise ClassroomError("unknown_activity")
    release = rules.row(db, "release", lesson["release"], get_release)
    state = db.conn.execute("SELECT state FROM lesson_releases WHERE id = ?", [lesson["release"]]).fetchone()
    if release is None or state is None or state[0] != "open":  # read each time: another web worker may have stopped it
        raise ClassroomError("not_released", message=NOT_RELEASED)
    return pupil, session, activity, release


def _earlier(db: sqlite_utils.Database, pupil_id: str, activity_id: str) -> dict | None:
    row = db.conn.execute("SELECT id, answer, correct FROM classroom_submissions WHERE pupil_id = ? AND activity_id = ? "
                          "ORDER BY seq LIMIT 1", [pupil_id, activity_id]).fetchone()
    return row and {"id": row[0], "answer": json.loads(row[1]), "correct": None if row[2] is None else bool(row[2])}


def _outcome(release: dict, activity: dict, value: Any, correct: bool | None) -> dict:
    step = activity["spec"]["lesson"]["step"]
    return {"release_id": release["id"], "step": step, "result": feedback(release["steps"][step], value, correct)}


def store_lesson_answers(db: sqlite_utils.Database, items: list[tuple[AnswerRules, LessonAnswer]]) -> list:
    """Writer group: per item {record, new, release_id, step, result, progress} or the ClassroomError refusing it."""
    outcomes: list[Any] = []
    fresh: list[tuple[int, dict, dict]] = []
    seen: dict[tuple[str, str], dict] = {}  # answers of this batch: a resent one (same id) is a duplicate
    for rules, item in items:
        try:
            pupil, session, activity, release = _checked(db, rules, item)
            earlier = _earlier(db, item.pupil_id, item.activity_id) or seen.get((item.pupil_id, item.activity_id))
            if earlier is not None:
                if earlier is None or earlier["id"] != item.submission_id:
                    raise ClassroomError("already_answered", message=ALREADY_ANSWERED)
                outcomes.append({**_outcome(release, activity, earlier["answer"], earlier["correct"]),
                                 "record": None, "new": False, "progress": None})
                continue
            value, response, correct = activities.check_answer(activity["type"], activity["spec"], item.answer,
                                                               rules.max_answer_chars)
        except ClassroomError as err:
            outcomes.append(err)
            continue
        seen[(item.pupil_id, item.activity_id)] = {"id": item.submission_id, "answer": value, "correct": correct}
        sub = {"id": item.submission_id, "answer": value, "pupil": pupil, "session": session, "activity": activity,
               "response": response, "correct": correct, "file": None}
        fresh.append((len(outcomes), sub, release))
        outcomes.append(None)
    stored = store.record_submissions(db, [sub for _, sub, _ in fresh]) if fresh else []
    done: dict[tuple[str, str], dict] = {}
    for (index, sub, release), new in zip(fresh, stored):
        if isinstance(new, ClassroomError):
            outcomes[index] = new
            continue
        key = (release["id"], sub["pupil"]["id"])
        if key not in done:
            done[key] = _progress_and_completion(db, release, sub)
        outcomes[index] = {**_outcome(release, sub["activity"], sub["answer"], sub["correct"]),
                           "record": submission_record(sub, None), "new": new, "progress": done[key]}
    return outcomes


def _progress_and_completion(db: sqlite_utils.Database, release: dict, sub: dict) -> dict:
    """The pupil's progress once this batch is stored; the `completed` statement queued when it is complete."""
    pupil = sub["pupil"]
    found = progress(release, answers_of(db, release, pupil["id"]), pupil["id"])
    if found["completed"]:
        lesson = payloads.lesson_part({"id": release["lesson_id"], "title": release["title"],
                                       "steps": len(release["steps"]), "release": release["id"]})
        record = records.completed(payloads.pupil_part(pupil), payloads.session_part(sub["session"]), lesson,
                                   found["correct"], found["graded"])
        enqueue(db, records.XAPI, records.LRS, record,
                records.statement_id(records.COMPLETED, f"{release['id']}:{pupil['id']}"), pupil["id"])
    return found
