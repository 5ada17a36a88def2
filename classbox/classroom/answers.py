"""Answers checked and stored inside the writer's transaction.

`AnswerRules` holds what an answer is checked against (the size limit, the countdowns, the rows
read so far); `store_answers` is the store-level batch function the group writer runs for the
answers of a class arriving together: each item is (rules, answer), nothing calls back into the
classroom service.
"""

from __future__ import annotations

from typing import Any, Callable

import sqlite_utils

from classbox.classroom import activities, store
from classbox.classroom.errors import ClassroomError
from classbox.classroom.records import Answer, submission_record

DEADLINE_GRACE_S = 2.0
MAX_ROWS = 20_000


class AnswerRules:
    """Limits, countdowns and the rows answers are checked against (the service keeps them current)."""

    def __init__(self, max_answer_chars: int, clock: Callable[[], float], wall: Callable[[], float]) -> None:
        self.max_answer_chars = max_answer_chars
        self.clock = clock
        self.wall = wall  # only to rebuild countdowns after a restart
        self.deadlines: dict[str, float] = {}
        self.rows: dict[tuple[str, Any], dict] = {}
        self.keep_rows = True  # False when other processes (web workers) change sessions and pupils too

    def row(self, db: sqlite_utils.Database, kind: str, key: Any, load: Callable) -> dict | None:
        """A row read inside a writer job, kept in memory (changes go through the service, which forgets it)."""
        found = self.rows.get((kind, key))
        if found is None:
            found = load(db, key)
            if found is not None and self.keep_rows:
                if len(self.rows) > MAX_ROWS:
                    self.rows.clear()
                self.rows[(kind, key)] = found
        return found

    def forget(self, kind: str, key: Any) -> None:
        """Drop a row that just changed."""
        self.rows.pop((kind, key), None)

    def deadline(self, activity: dict) -> float | None:
        """When an activity's countdown ends (on self.clock), or None; kept across restarts.

        The end is stored with the activity (its creation time and duration_s): a server that
        restarted mid-quiz rebuilds it from the wall clock, once, and keeps counting on its own.
        """
        deadline = self.deadlines.get(activity["id"])
        if deadline is None and "duration_s" in activity["spec"] and activity.get("created_wall"):
            ends_wall = activity["created_wall"] + activity["spec"]["duration_s"]
            deadline = self.deadlines[activity["id"]] = self.clock() + ends_wall - self.wall()
        return deadline

    def too_late(self, deadline: float | None) -> bool:
        """True once a countdown has ended (with a grace for the network)."""
        return deadline is not None and self.clock() > deadline + DEADLINE_GRACE_S

    def answerable(self, db: sqlite_utils.Database, item: Answer) -> tuple[dict, dict, dict]:
        """(pupil, session, activity) if this pupil may answer this activity now, else ClassroomError."""
        pupil = self.row(db, "pupil", item.pupil_id, store.get_pupil)
        session = self.row(db, "session", item.session_id, store.get_session)
        if pupil is None or pupil["removed"] or pupil["session_id"] != item.session_id \
                or (item.nonce is not None and pupil["nonce"] != item.nonce):
            raise ClassroomError("bad_token")
        if session["state"] != "open":
            raise ClassroomError("closed")
        activity = self.row(db, "activity", item.activity_id, store.get_activity)
        if activity is None or activity["session_id"] != item.session_id \
                or not activities.for_pupil(activity["targets"], item.pupil_id):
            raise ClassroomError("unknown_activity")
        if self.too_late(self.deadline(activity)):
            raise ClassroomError("time_up")
        return pupil, session, activity


def store_answers(db: sqlite_utils.Database, items: list[tuple[AnswerRules, Answer]]) -> list:
    """Writer group: check and store answers; per item (record, new) or the ClassroomError refusing it."""
    outcomes: list = []
    checked: list[tuple[int, dict]] = []
    for rules, item in items:
        try:
            pupil, session, activity = rules.answerable(db, item)
            value, response, correct = activities.check_answer(activity["type"], activity["spec"], item.answer,
                                                               rules.max_answer_chars)
        except ClassroomError as err:
            outcomes.append(err)
            continue
        checked.append((len(outcomes), {"id": item.submission_id, "answer": value, "pupil": pupil,
                                        "session": session, "activity": activity, "response": response,
                                        "correct": correct, "file": None}))
        outcomes.append(None)
    stored = store.record_submissions(db, [sub for _, sub in checked]) if checked else []
    for (index, sub), new in zip(checked, stored):
        outcomes[index] = new if isinstance(new, ClassroomError) else (submission_record(sub, None), new)
    return outcomes
