"""A lesson step as an HTML form and back: the fields a teacher fills, the step they make (then checked)."""

from __future__ import annotations

import math
from typing import Any, Mapping

from classbox.lessons.steps import LessonError, validate_step
from classbox.web.i18n_marks import N_

KINDS = ("single", "multiple", "text", "number")
MAX_CHOICES = 10
ACCEPT = ("text", "photo", "file")
# (type, quiz kind or None, label) of the steps a teacher can add, in the order the page offers them.
NEW_STEPS = [
    ("quiz", "single", N_("Question à choix unique")),
    ("quiz", "multiple", N_("Question à choix multiples")),
    ("quiz", "text", N_("Question à réponse courte")),
    ("quiz", "number", N_("Question à réponse numérique")),
    ("message", None, N_("Message")),
    ("resource", None, N_("Ressource de la bibliothèque")),
    ("handin", None, N_("Travail à rendre")),
    ("pause", None, N_("Pause (les yeux vers l'enseignant)")),
]


def label(step_type: str, kind: str | None) -> str:
    """The French label (marked, translated where shown) of a step type."""
    for t, k, text in NEW_STEPS:
        if t == step_type and (k == kind or step_type != "quiz"):
            return text
    raise LessonError(f"unknown step type {step_type!r}", field="type",
                      shown=N_("type : resource, message, quiz, handin ou pause"))


def parse_number(text: str, field: str) -> float | None:
    """A number written '3,14' or '3.14' (None when empty)."""
    text = (text or "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise LessonError("a number expected, such as 3,14", field=field, shown=N_("un nombre attendu, comme 3,14"))
    return value


def show_number(value: float) -> str:
    """A number as a French teacher writes it (3,14; 56)."""
    return (str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))).replace(".", ",")


def form_values(step: dict) -> dict[str, Any]:
    """The form's fields filled from a step."""
    values: dict[str, Any] = {"title": step.get("title", ""), "text": step.get("text", ""),
                              "instructions": step.get("instructions", ""), "question": step.get("question", ""),
                              "general_feedback": step.get("general_feedback", ""),
                              "resource_id": step.get("resource_id") or "",
                              "accept": step.get("accept", list(ACCEPT)),
                              "duration_s": str(step.get("duration_s", "")), "choices": list(step.get("choices", []))}
    correct = step.get("correct")
    values["correct"] = [correct] if isinstance(correct, int) and not isinstance(correct, bool) else \
        correct if step.get("kind") == "multiple" and correct else []
    values["answers"] = "\n".join([correct] if isinstance(correct, str) else correct or []) \
        if step.get("kind") == "text" else ""
    if step.get("kind") == "number":
        if "min" in step:
            center, half = (step["min"] + step["max"]) / 2, (step["max"] - step["min"]) / 2
        else:
            center, half = step.get("correct"), step.get("tolerance")
        values["answer"] = "" if center is None else show_number(center)
        values["tolerance"] = show_number(half) if half else ""
    return values


def _choices(form: Mapping, kind: str, old: dict) -> dict:
    """Choices (blank ones dropped) and the right one(s), renumbered; per-choice extras kept if unchanged."""
    raw = [(form.get(f"choice-{i}") or "").strip() for i in range(MAX_CHOICES)]
    picked = {int(v) for v in form.getlist("correct") if v.isascii() and v.isdigit()}
    kept = [(i, text) for i, text in enumerate(raw) if text]
    out: dict[str, Any] = {"choices": [text for _i, text in kept]}
    right = [n for n, (i, _text) in enumerate(kept) if i in picked]
    if right:
        out["correct"] = right[0] if kind == "single" else right
    if old.get("choices") == out["choices"]:
        out.update({k: old[k] for k in ("feedback", "weights", "truefalse") if k in old})
    return out


def _number(form: Mapping, old: dict) -> dict:
    text = form.get("answer", "")
    tol_text = form.get("tolerance", "")
    if "±" in text:  # "3,14 ± 0,01" in one field
        text, tol_text = text.split("±", 1)
    value, tolerance = parse_number(text, "answer"), parse_number(tol_text, "tolerance")
    if value is None:
        return {}
    if tolerance is not None and tolerance < 0:
        raise LessonError("the tolerance cannot be negative", field="tolerance",
                          shown=N_("la tolérance ne peut pas être négative"))
    tolerance = tolerance or 0.0
    if "min" in old and math.isclose(value, (old["min"] + old["max"]) / 2) \
            and math.isclose(tolerance, (old["max"] - old["min"]) / 2):
        return {"min": old["min"], "max": old["max"], **({"feedback": old["feedback"]} if "feedback" in old else {})}
    out: dict[str, Any] = {"correct": value, "tolerance": tolerance}
    if "feedback" in old:
        out["feedback"] = old["feedback"]
    return out


def _quiz(form: Mapping, kind: str, old: dict) -> dict:
    step: dict[str, Any] = {"type": "quiz", "kind": kind, "question": form.get("question", "")}
    duration = (form.get("duration_s") or "").strip()
    if duration:
        if not (duration.isascii() and duration.isdigit()):
            raise LessonError("a countdown in whole seconds (5 to 3600)", field="duration_s",
                              shown=N_("un compte à rebours en secondes entières (de 5 à 3600)"))
        step["duration_s"] = int(duration)
    if kind in ("single", "multiple"):
        step.update(_choices(form, kind, old))
    elif kind == "text":
        answers = [line.strip() for line in (form.get("answers") or "").splitlines() if line.strip()]
        if answers:
            step["correct"] = answers
            old_answers = old.get("correct")
            if "feedback" in old and (old_answers == answers or [old_answers] == answers):
                step["feedback"] = old["feedback"]
    else:
        step.update(_number(form, old))
    return step


def step_from_form(step_type: str, kind: str | None, form: Mapping, old: dict | None = None) -> dict:
    """The checked step a submitted form describes (`old`: the step it edits, whose extras it keeps)."""
    old = old if old and old.get("type") == step_type and old.get("kind") == kind else {}
    label(step_type, kind)
    if step_type == "quiz":
        if kind not in KINDS:
            raise LessonError("kind: single, multiple, text or number", field="kind",
                              shown=N_("type de question : single, multiple, text ou number"))
        step = _quiz(form, kind, old)
    elif step_type == "resource":
        step = {"type": "resource", "resource_id": (form.get("resource_id") or "").strip() or None}
        if step["resource_id"] is None and old.get("url"):
            step = {"type": "resource", "url": old["url"]}
        elif step["resource_id"] is None:
            raise LessonError("choose a resource of the library", field="resource_id",
                              shown=N_("choisissez une ressource de la bibliothèque"))
    elif step_type == "handin":
        step = {"type": "handin", "instructions": form.get("instructions", ""),
                "accept": [a for a in ACCEPT if a in form.getlist("accept")]}
    elif step_type == "message":
        step = {"type": "message", "text": form.get("text", "")}
    else:
        step = {"type": "pause"}
        if (form.get("text") or "").strip():
            step["text"] = form["text"]
    title = (form.get("title") or "").strip()
    if title:
        step["title"] = title
    if step_type in ("quiz", "handin") and (form.get("general_feedback") or "").strip():
        step["general_feedback"] = form["general_feedback"]
    return validate_step(step, "step")
