"""A lesson in a session: which lesson and step, what the classroom pushes for it, the feedback after an answer."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from classbox.classroom.activities import fold
from classbox.classroom.errors import ClassroomError
from classbox.lessons.steps import to_push
from classbox.lessons.store import get_lesson, mark_missing_resources
from classbox.web.i18n_marks import N_

UNKNOWN_LESSON = N_("Cette leçon n'existe pas ou n'est pas à vous.")
STEP_OUT_OF_RANGE = N_("Cette leçon n'a pas d'étape %(step)s (elle en a %(steps)s).")
MISSING_RESOURCE = N_("L'étape %(step)s montre une ressource retirée de la bibliothèque : "
                      "« %(title)s ». Passez-la ou choisissez une autre ressource.")
EMPTY_LESSON = N_("Cette leçon n'a aucune étape.")


def lesson_for(db: sqlite_utils.Database, user: dict, raw_id: Any) -> dict:
    """A lesson this teacher may play (their own or a pack's); ClassroomError("unknown_lesson") otherwise."""
    if not isinstance(raw_id, int) or isinstance(raw_id, bool) or not 0 < raw_id < 2**63:
        raise ClassroomError("malformed", "lesson_id: a lesson id (number)")
    found = get_lesson(db, raw_id, user)  # another teacher's lesson is as unknown as a missing one
    if found is None:
        raise ClassroomError("unknown_lesson", f"lesson {raw_id}", message=UNKNOWN_LESSON)
    if not found["steps"]:
        raise ClassroomError("empty_lesson", f"lesson {raw_id}", message=EMPTY_LESSON)
    found["steps"] = mark_missing_resources(db, found["steps"])
    return found


def step_index(raw: Any, count: int) -> int:
    """The step asked for (0-based); ClassroomError("step_out_of_range") naming it in people's terms."""
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ClassroomError("malformed", "step: a step number from 0")
    if not 0 <= raw < count:
        raise ClassroomError("step_out_of_range", f"step {raw} of 0..{count - 1}", message=STEP_OUT_OF_RANGE,
                             step=raw + 1, steps=count)
    return raw


def lesson_ref(lesson: dict, index: int, release_id: str | None = None) -> dict:
    """What pupils and the ENT learn about the lesson a step belongs to: {id, title, step, steps[, release]}."""
    ref = {"id": lesson["id"], "title": lesson["title"], "step": index, "steps": len(lesson["steps"])}
    if release_id is not None:
        ref["release"] = release_id
    return ref


def live_payload(lesson: dict, index: int) -> dict:
    """The `push` payload that plays step `index` live; ClassroomError if its resource was removed."""
    step = lesson["steps"][index]
    if step.get("missing"):
        raise ClassroomError("missing_resource", f"step {index}: resource {step.get('resource_id')}",
                             message=MISSING_RESOURCE, step=index + 1, title=step.get("title") or step.get("resource_id"))
    return to_push(step)


def self_paced_payload(step: dict) -> dict:
    """The `push` payload of a step each pupil meets alone: no shared countdown, text hand-ins."""
    payload = {k: v for k, v in to_push(step).items() if k not in ("duration_s", "missing")}
    if payload["type"] == "handin":
        payload["accept"] = ["text"]  # photos and files go through the live classroom's upload only
    if step.get("missing"):  # a removed resource: the step says so instead of a dead link
        payload = {"type": "message", "text": f"{step.get('title') or step.get('resource_id')}"}
    return payload


def _picked_feedback(step: dict, value: Any) -> str | None:
    feedback = step.get("feedback") or []
    kind = step.get("kind")
    if kind == "single" and isinstance(value, int) and 0 <= value < len(feedback):
        return feedback[value]
    if kind == "multiple" and isinstance(value, list):
        said = [feedback[i] for i in value if isinstance(i, int) and 0 <= i < len(feedback) and feedback[i]]
        return "\n".join(said) or None
    if kind == "text" and isinstance(value, str):
        accepted = step.get("correct") or []
        accepted = [accepted] if isinstance(accepted, str) else accepted
        for i, answer in enumerate(accepted):
            if fold(answer) == fold(value) and i < len(feedback):
                return feedback[i]
        return None
    if kind == "number" and feedback:
        return feedback[0]
    return None


def solution(step: dict) -> Any:
    """The right answer as the pupil's page shows it once answered (None when the teacher gave none)."""
    if step.get("type") != "quiz":
        return None
    if step.get("kind") == "number":
        if "min" in step:
            return {"min": step["min"], "max": step["max"]}
        if "correct" in step:
            return {"correct": step["correct"], "tolerance": step.get("tolerance", 0)}
        return None
    correct = step.get("correct")
    if step.get("kind") == "text" and isinstance(correct, str):
        return [correct]
    return correct


def feedback(step: dict, value: Any, correct: bool | None) -> dict:
    """What a pupil learns after answering a self-paced step: right or not, the teacher's feedback, the answer."""
    return {"correct": correct, "feedback": _picked_feedback(step, value),
            "general_feedback": step.get("general_feedback"), "solution": solution(step)}
