"""A class's progress across sessions: scores, trends and the "needs help" rule (pure, no database).

The rule, written once here and in docs/privacy.md and the pages: a member **needs help** when,
among their last NEEDS_HELP_LAST graded answers (quiz answers to a question with a correct
answer, the latest answer per question), fewer than NEEDS_HELP_BELOW are right, and there are at
least NEEDS_HELP_MIN of them (too few answers say nothing). Unanswered questions do not count
(a pupil may have joined late or been absent); hand-ins are not graded.

A pupil's **trend** compares the rate of their last TREND_WINDOW graded answers with the rate of
the TREND_WINDOW before them: "up" or "down" when it moved by TREND_STEP points or more, else
"steady"; None while either window has fewer than NEEDS_HELP_MIN answers.
A question's trend compares the class's rate the first and the last time it was asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from classbox.classroom.activities import fold

NEEDS_HELP_LAST = 10
NEEDS_HELP_BELOW = 0.5
NEEDS_HELP_MIN = 5
TREND_WINDOW = 10
TREND_STEP = 0.10
HARDEST = 10


class Answer(NamedTuple):
    """A member's latest answer to one activity."""

    member_id: str
    activity_id: str
    correct: int | None
    seq: int


@dataclass
class Score:
    """Right answers out of graded ones, and other counts of a member, a session or a question."""

    right: int = 0
    graded: int = 0
    answered: int = 0
    handins: int = 0

    @property
    def rate(self) -> float | None:
        """Right / graded, None when nothing was graded."""
        return self.right / self.graded if self.graded else None


@dataclass
class MemberProgress:
    """One member across the class's sessions."""

    member: dict
    total: Score = field(default_factory=Score)
    by_session: dict[int, Score] = field(default_factory=dict)
    attended: set[int] = field(default_factory=set)
    graded: list[int] = field(default_factory=list)  # 1/0 of each graded answer, oldest first
    recent: Score = field(default_factory=Score)
    trend: str | None = None
    needs_help: bool = False


def graded(activity: dict) -> bool:
    """Whether an activity is a graded question: a quiz with its right answer, or an H5P exercise (its score)."""
    return activity["type"] == "h5p" or (activity["type"] == "quiz" and "correct" in activity["spec"])


def question_key(activity: dict) -> tuple | None:
    """What makes two quiz activities "the same question" (kind and folded text); None for others."""
    if activity["type"] != "quiz":
        return None
    return (activity["spec"].get("kind"), fold(str(activity["spec"].get("question", ""))))


def window_trend(marks: list[int], window: int = TREND_WINDOW) -> str | None:
    """"up", "down" or "steady" from the last `window` marks against the `window` before; None if too few."""
    recent, before = marks[-window:], marks[-2 * window:-window]
    if len(recent) < NEEDS_HELP_MIN or len(before) < NEEDS_HELP_MIN:
        return None
    moved = sum(recent) / len(recent) - sum(before) / len(before)
    return "up" if moved >= TREND_STEP - 1e-9 else "down" if moved <= -TREND_STEP + 1e-9 else "steady"


def needs_help(marks: list[int]) -> bool:
    """The documented rule on a member's graded answers, oldest first."""
    last = marks[-NEEDS_HELP_LAST:]
    return len(last) >= NEEDS_HELP_MIN and sum(last) < NEEDS_HELP_BELOW * len(last)


def tally(activities: dict[str, dict], answers: list[Answer]) -> tuple[dict, dict, dict]:
    """One pass over the answers: scores per (member, session), per activity, and each member's graded
    marks in the order the questions were asked ({member: [(activity seq, 1 or 0)]})."""
    per_member_session: dict[tuple[str, int], list[int]] = {}
    per_activity: dict[str, list[int]] = {}
    marks: dict[str, list[tuple[int, int]]] = {}
    for member_id, activity_id, correct, _ in answers:  # ~75,000 a year for a class of 30: kept lean
        activity = activities.get(activity_id)
        if activity is None:
            continue
        handin = activity["type"] == "handin"
        graded = not handin and correct is not None
        right = graded and correct == 1
        key = (member_id, activity["session_id"])
        mine = per_member_session.get(key)
        if mine is None:
            mine = per_member_session[key] = [0, 0, 0, 0]
        theirs = per_activity.get(activity_id)
        if theirs is None:
            theirs = per_activity[activity_id] = [0, 0, 0, 0]
        mine[0] += right
        mine[1] += graded
        mine[2] += 1
        mine[3] += handin
        theirs[0] += right
        theirs[1] += graded
        theirs[2] += 1
        theirs[3] += handin
        if graded:
            marks.setdefault(member_id, []).append((activity["seq"], int(right)))
    return per_member_session, per_activity, marks


def _score(counts: list[int]) -> Score:
    return Score(right=counts[0], graded=counts[1], answered=counts[2], handins=counts[3])


def _plus(total: Score, counts: list[int]) -> None:
    total.right += counts[0]
    total.graded += counts[1]
    total.answered += counts[2]
    total.handins += counts[3]


def summarize_members(members: list[dict], activities: dict[str, dict], answers: list[Answer],
                      attendance: list[tuple[str, int]], tallied: tuple | None = None) -> dict[str, MemberProgress]:
    """Each member's totals, per-session scores, last graded answers, trend and needs-help flag."""
    per_member_session, _, marks = tallied or tally(activities, answers)
    progress = {m["id"]: MemberProgress(m) for m in members}
    for member_id, session_id in attendance:
        if member_id in progress:
            progress[member_id].attended.add(session_id)
    for (member_id, session_id), counts in per_member_session.items():
        one = progress.get(member_id)
        if one is not None:
            one.by_session[session_id] = _score(counts)
            _plus(one.total, counts)
    for member_id, one in progress.items():
        one.graded = [mark for _, mark in sorted(marks.get(member_id, []))]
        last = one.graded[-NEEDS_HELP_LAST:]
        one.recent = Score(right=sum(last), graded=len(last), answered=len(last))
        one.trend, one.needs_help = window_trend(one.graded), needs_help(one.graded)
    return progress


def summarize_sessions(sessions: list[dict], activities: dict[str, dict], answers: list[Answer],
                       attendance: list[tuple[str, int]], tallied: tuple | None = None) -> list[dict]:
    """Each session with its pupils present, graded questions asked, score and hand-ins, oldest first."""
    per_member_session = (tallied or tally(activities, answers))[0]
    rows = {s["id"]: {**s, "present": set(), "questions": 0, "handins_asked": 0, "score": Score()} for s in sessions}
    for member_id, session_id in attendance:
        if session_id in rows:
            rows[session_id]["present"].add(member_id)
    for activity in activities.values():
        row = rows.get(activity["session_id"])
        if row is not None:
            row["questions"] += graded(activity)
            row["handins_asked"] += activity["type"] == "handin"
    for (_, session_id), counts in per_member_session.items():
        if session_id in rows:
            _plus(rows[session_id]["score"], counts)
    return [{**row, "present": len(row["present"])} for row in rows.values()]


def summarize_questions(activities: dict[str, dict], answers: list[Answer], tallied: tuple | None = None) -> list[dict]:
    """Each question (the same text asked again is one question): its occurrences' scores in order."""
    scores = {aid: _score(counts) for aid, counts in (tallied or tally(activities, answers))[1].items()}
    questions: dict[tuple, dict] = {}
    for activity in sorted(activities.values(), key=lambda a: a["seq"]):
        key = question_key(activity)
        if key is None or "correct" not in activity["spec"]:
            continue
        entry = questions.setdefault(key, {"question": activity["spec"].get("question", ""), "times": [],
                                           "total": Score()})
        score = scores.get(activity["id"], Score())
        entry["times"].append({"session_id": activity["session_id"], "score": score})
        entry["total"].right += score.right
        entry["total"].graded += score.graded
    for entry in questions.values():
        first, last = entry["times"][0]["score"].rate, entry["times"][-1]["score"].rate
        entry["trend"] = None if len(entry["times"]) < 2 or first is None or last is None else (
            "up" if last - first >= TREND_STEP - 1e-9 else "down" if first - last >= TREND_STEP - 1e-9 else "steady")
    return list(questions.values())


def hardest(questions: list[dict], count: int = HARDEST, min_graded: int = 3) -> list[dict]:
    """The least-well answered questions (at least `min_graded` graded answers), worst first."""
    graded = [q for q in questions if q["total"].graded >= min_graded]
    return sorted(graded, key=lambda q: (q["total"].rate, -q["total"].graded))[:count]


def repeated(questions: list[dict], count: int = 50) -> list[dict]:
    """Questions asked more than once (their trend says something), most asked first."""
    return sorted((q for q in questions if len(q["times"]) > 1), key=lambda q: -len(q["times"]))[:count]


def percent(score: Any) -> int | None:
    """A score's rate as a whole percentage, None when nothing was graded."""
    rate = score.rate if isinstance(score, Score) else score
    return None if rate is None else round(rate * 100)
