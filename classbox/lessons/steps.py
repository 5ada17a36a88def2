"""Lesson steps: a classroom `push` payload plus what a prepared lesson keeps (pure)."""

from __future__ import annotations

import math
from typing import Any, Callable

from classbox.classroom.activities import validate_spec
from classbox.classroom.errors import ClassroomError
from classbox.web.i18n_marks import N_, ShownError

MAX_STEPS = 500
MAX_TITLE = 200
MAX_FEEDBACK = 2000
TRUE_FALSE = ("Vrai", "Faux")
# Keys a step may carry besides the `push` payload: kept for the teacher and for GIFT round trips,
# never sent to pupils before they answer.
EXTRAS = ("title", "feedback", "general_feedback", "weights", "truefalse", "min", "max")
KEYS = {
    "resource": {"resource_id", "url"},
    "message": {"text"},
    "pause": {"text"},
    "handin": {"instructions", "accept", "general_feedback"},
    "quiz": {"kind", "question", "choices", "correct", "tolerance", "duration_s", "feedback", "weights",
             "truefalse", "min", "max", "general_feedback"},
}
COMMON = {"type", "title"}


class LessonError(ShownError):
    """Bad lesson input: what is wrong, and where (a GIFT line or a JSON field)."""

    def __init__(self, text: str, line: int | None = None, field: str | None = None, shown: str | None = None,
                 **params: Any):
        where = f"line {line}: " if line is not None else f"{field}: " if field else ""
        super().__init__(where + text, shown, **params)
        self.line, self.field, self.detail = line, field, text

    def as_dict(self, gettext: Callable[..., str]) -> dict:
        """The error for a JSON answer: `message` in the page's language, `detail` in English."""
        said = self.shown_in(gettext) if self.shown else self.detail
        if self.line is not None:
            said = gettext(N_("ligne %(line)s : %(message)s"), line=self.line, message=said)
        elif self.field:
            said = gettext(N_("%(field)s : %(message)s"), field=self.field, message=said)
        return {"error": "invalid_lesson", "message": said, "detail": str(self), "line": self.line,
                "field": self.field}


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _short(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise LessonError(f"text of at most {limit} characters expected", field=field,
                          shown=N_("texte de %(limit)s caractères au plus attendu"), limit=limit)
    return value


def to_push(step: dict) -> dict:
    """The classroom `push` payload that plays this step (a number range becomes value ± tolerance)."""
    lesson_only = EXTRAS[1:] if step.get("type") == "resource" else EXTRAS  # a resource's title is shown
    payload = {k: v for k, v in step.items() if k not in lesson_only}
    if step.get("type") == "quiz" and step.get("kind") == "number" and "min" in step:
        payload["correct"] = (step["min"] + step["max"]) / 2
        payload["tolerance"] = (step["max"] - step["min"]) / 2
    return payload


def _answers(step: dict) -> int:
    """How many answers the step's per-answer lists (feedback) follow."""
    if step.get("kind") in ("single", "multiple"):
        return len(step.get("choices") or [])
    if step.get("kind") == "text":
        correct = step.get("correct")
        return 1 if isinstance(correct, str) else len(correct or [])
    return 1


def _extras(raw: dict, field: str) -> dict:
    """Check the lesson-only keys of a step; the ones present."""
    out: dict[str, Any] = {}
    if "title" in raw:
        out["title"] = _short(raw["title"], f"{field}.title", MAX_TITLE).strip()
    if "general_feedback" in raw:
        general = _short(raw["general_feedback"], f"{field}.general_feedback", MAX_FEEDBACK).strip()
        if general:
            out["general_feedback"] = general
    quiz = raw.get("type") == "quiz"
    if "feedback" in raw:
        fb = raw["feedback"]
        n = 2 if raw.get("truefalse") else _answers(raw)
        if not quiz or not isinstance(fb, list) or len(fb) != n:
            raise LessonError(f"a list of {n} feedback texts (or null) expected", field=f"{field}.feedback",
                              shown=N_("une liste de %(n)s retours (ou null) attendue"), n=n)
        texts = [None if f is None else _short(f, f"{field}.feedback", MAX_FEEDBACK).strip() or None for f in fb]
        if any(texts):  # no feedback at all is no key, so that equal steps compare equal
            out["feedback"] = texts
    if "weights" in raw:
        weights = raw["weights"]
        if raw.get("kind") not in ("single", "multiple") or not isinstance(weights, list) \
                or len(weights) != len(raw.get("choices") or []) \
                or not all(_finite(w) and -100 <= w <= 100 for w in weights):
            raise LessonError("one weight (-100 to 100) per choice expected", field=f"{field}.weights",
                              shown=N_("un poids (de -100 à 100) par choix attendu"))
        out["weights"] = [float(w) for w in weights]
    if "truefalse" in raw:
        if raw["truefalse"] is not True or raw.get("kind") != "single" or raw.get("choices") != list(TRUE_FALSE):
            raise LessonError(f"truefalse: a single-choice quiz with choices {list(TRUE_FALSE)}",
                              shown=N_("vrai/faux : une question à choix unique avec les choix Vrai et Faux"),
                              field=f"{field}.truefalse")
        out["truefalse"] = True
    if "min" in raw or "max" in raw:
        low, high = raw.get("min"), raw.get("max")
        if raw.get("kind") != "number" or not (_finite(low) and _finite(high)) or "correct" in raw:
            raise LessonError("min and max: two numbers, for a number quiz without correct", field=f"{field}.min",
                              shown=N_("min et max : deux nombres, pour une question numérique sans « correct »"))
        if low > high:
            raise LessonError(f"reversed range {low:g}..{high:g}", field=f"{field}.min",
                              shown=N_("intervalle inversé %(low)s..%(high)s (écrivez le plus petit nombre d'abord)"),
                              low=f"{low:g}", high=f"{high:g}")
        out["min"], out["max"] = float(low), float(high)
    return out


def validate_step(raw: Any, field: str = "step") -> dict:
    """A checked, normalised step; raises LessonError naming the field."""
    if not isinstance(raw, dict):
        raise LessonError("an object expected", field=field, shown=N_("un objet attendu"))
    if raw.get("type") not in KEYS:
        raise LessonError(f"type: one of {', '.join(KEYS)}", field=f"{field}.type",
                          shown=N_("type : resource, message, quiz, handin ou pause"))
    unknown = sorted(set(raw) - KEYS[raw["type"]] - COMMON)
    if unknown:
        raise LessonError(f"unknown key {unknown[0]!r} for a {raw['type']} step", field=f"{field}.{unknown[0]}",
                          shown=N_("clé inconnue « %(key)s » pour une étape %(type)s"), key=unknown[0], type=raw["type"])
    extras = _extras(raw, field)
    try:
        kind, spec, _ = validate_spec(to_push({**raw, **extras}))
    except ClassroomError as err:
        raise LessonError(err.detail or err.code, field=field, shown=N_("étape incorrecte (%(detail)s)"),
                          detail=err.detail or err.code) from None
    step = {"type": kind, **spec}
    if kind == "quiz" and spec["kind"] == "single" and "correct" in spec:
        step["correct"] = spec["correct"][0]
    if "min" in extras:
        step.pop("correct", None)
        step.pop("tolerance", None)
    if kind == "resource" and raw.get("resource_id"):
        step.pop("url", None)  # derived from the id when played: follows the library
    return {**step, **extras}


def validate_title(value: Any, field: str = "title") -> str:
    """A lesson title: 1 to 200 characters."""
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_TITLE:
        raise LessonError(f"1 to {MAX_TITLE} characters expected", field=field,
                          shown=N_("de 1 à %(limit)s caractères attendus"), limit=MAX_TITLE)
    return value.strip()


def validate_steps(raw: Any, field: str = "steps") -> list[dict]:
    """Checked steps of a lesson (0 to MAX_STEPS)."""
    if not isinstance(raw, list) or len(raw) > MAX_STEPS:
        raise LessonError(f"a list of at most {MAX_STEPS} steps expected", field=field,
                          shown=N_("une liste d'au plus %(limit)s étapes attendue"), limit=MAX_STEPS)
    return [validate_step(step, f"{field}[{i}]") for i, step in enumerate(raw)]
