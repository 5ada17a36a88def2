"""A lesson's summary in a session: per pupil right answers on graded steps, per question the share right (pure)."""

from __future__ import annotations

from typing import Any


def _graded(activity: dict) -> bool:
    spec = activity["spec"]
    return activity["type"] == "quiz" and spec.get("correct") not in (None, [])


def _label(activity: dict) -> str:
    spec = activity["spec"]
    return spec.get("question") or spec.get("instructions") or spec.get("title") or spec.get("text") or activity["type"]


def lesson_summary(activities: list[dict], submissions: list[dict], pupils: list[dict], lesson_id: int,
                   release_id: str | None = None, names: bool = True) -> dict:
    """The summary of one lesson played live (release_id None) or of one self-paced release.

    A step played several times counts each pupil's latest answer to any of its plays.
    `names=False` leaves pupils out (the projector shows the class, never who).
    """
    mine = [a for a in activities if isinstance(a["spec"].get("lesson"), dict)
            and a["spec"]["lesson"].get("id") == lesson_id and a["spec"]["lesson"].get("release") == release_id]
    step_of = {a["id"]: a["spec"]["lesson"]["step"] for a in mine}
    latest: dict[tuple[int, str], Any] = {}
    for row in submissions:  # in seq order: the last answer of a pupil to a step wins
        if row["activity_id"] in step_of:
            latest[(step_of[row["activity_id"]], row["pupil_id"])] = row["correct"]
    by_step: dict[int, dict] = {}
    for activity in mine:  # the latest play of each step describes it
        by_step[activity["spec"]["lesson"]["step"]] = activity
    steps = []
    for step in sorted(by_step):
        activity = by_step[step]
        answers = [c for (s, _), c in latest.items() if s == step]
        right = sum(1 for c in answers if c)
        graded = _graded(activity)
        steps.append({"step": step, "type": activity["type"], "label": _label(activity), "graded": graded,
                      "answered": len(answers), "correct": right if graded else None,
                      "share": round(right / len(answers), 4) if graded and answers else None})
    graded_steps = {s["step"] for s in steps if s["graded"]}
    total = mine[0]["spec"]["lesson"]["steps"] if mine else 0
    title = mine[-1]["spec"]["lesson"]["title"] if mine else ""
    summary: dict[str, Any] = {"lesson_id": lesson_id, "release_id": release_id, "title": title, "steps_total": total,
                               "graded": len(graded_steps), "steps": steps}
    if names:
        summary["pupils"] = [{"id": p["id"], "name": p["name"],
                              "answered": sum(1 for (s, who) in latest if who == p["id"]),
                              "correct": sum(1 for (s, who), c in latest.items() if who == p["id"] and s in graded_steps and c),
                              "graded": len(graded_steps)} for p in pupils]
    return summary
