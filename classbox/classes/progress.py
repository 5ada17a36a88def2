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
from typing import Any

from classbox.classroom.activities import fold

NEEDS_HELP_LAST = 10
NEEDS_HELP_BELOW = 0.5
NEEDS_HELP_MIN = 5
TREND_WINDOW = 10
TREND_STEP = 0.10
HARDEST = 10


@dataclass(frozen=True)
class Answer:
    """A member's latest answer to one activity."""

    member_id: str
    activity_id: str
    correct: int | None
    has_file: bool
    seq: int


@dataclass
class Score:
    """Right answers out of graded ones, and other counts of a member, a session or a question."""

    right: int = 0
    graded: int = 0
    answered: int = 0
    handins: int = 0

    def add(self, answer: Answer, kind: str) -> None:
        """Count one answer."""
        self.answered += 1
        if kind == "handin":
            self.handins += 1
        elif answer.correct is not None:
            self.graded += 1
            self.right += answer.correct == 1

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


def summarize_members(members: list[dict], activities: dict[str, dict], answers: list[Answer],
                      attendance: list[tuple[str, int]]) -> dict[str, MemberProgress]:
    """Each member's totals, per-session scores, last graded answers, trend and needs-help flag."""
    progress = {m["id"]: MemberProgress(m) for m in members}
    for member_id, session_id in attendance:
        if member_id in progress:
            progress[member_id].attended.add(session_id)
    for answer in sorted(answers, key=lambda a: activities[a.activity_id]["seq"] if a.activity_id in activities
                         else a.seq):
        one, activity = progress.get(answer.member_id), activities.get(answer.activity_id)
        if one is None or activity is None:
            continue
        one.total.add(answer, activity["type"])
        one.by_session.setdefault(activity["session_id"], Score()).add(answer, activity["type"])
        if activity["type"] == "quiz" and answer.correct is not None:
            one.graded.append(int(answer.correct == 1))
    for one in progress.values():
        last = one.graded[-NEEDS_HELP_LAST:]
        one.recent = Score(right=sum(last), graded=len(last), answered=len(last))
        one.trend, one.needs_help = window_trend(one.graded), needs_help(one.graded)
    return progress


def summarize_sessions(sessions: list[dict], activities: dict[str, dict], answers: list[Answer],
                       attendance: list[tuple[str, int]]) -> list[dict]:
    """Each session with its pupils present, graded questions asked, score and hand-ins, oldest first."""
    rows = {s["id"]: {**s, "present": set(), "questions": 0, "handins_asked": 0, "score": Score()} for s in sessions}
    for member_id, session_id in attendance:
        if session_id in rows:
            rows[session_id]["present"].add(member_id)
    for activity in activities.values():
        row = rows.get(activity["session_id"])
        if row is not None:
            row["questions"] += activity["type"] == "quiz" and "correct" in activity["spec"]
            row["handins_asked"] += activity["type"] == "handin"
    for answer in answers:
        activity = activities.get(answer.activity_id)
        if activity is not None and activity["session_id"] in rows:
            rows[activity["session_id"]]["score"].add(answer, activity["type"])
    return [{**row, "present": len(row["present"])} for row in rows.values()]


def summarize_questions(activities: dict[str, dict], answers: list[Answer]) -> list[dict]:
    """Each question (the same text asked again is one question): its occurrences' scores in order."""
    scores: dict[str, Score] = {}
    for answer in answers:
        activity = activities.get(answer.activity_id)
        if activity is not None:
            scores.setdefault(answer.activity_id, Score()).add(answer, activity["type"])
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
