"""Activities a teacher pushes, and the answers pupils give: validation and scoring (pure)."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from classbox.classroom.errors import ClassroomError

TYPES = ("resource", "message", "quiz", "handin", "pause", "h5p")
QUIZ_KINDS = ("single", "multiple", "text", "number")
HANDIN_ACCEPT = ("text", "photo", "file")
RESOURCE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
MAX_TARGETS = 200
DEFAULT_PAUSE = "Les yeux vers l'enseignant !"


def _text(value: Any, field: str, max_len: int, required: bool = True, default: str = "") -> str:
    if value is None and not required:
        return default
    if not isinstance(value, str):
        raise ClassroomError("invalid_activity", f"{field}: text expected")
    value = value.strip()
    if (required and not value) or len(value) > max_len:
        raise ClassroomError("invalid_activity", f"{field}: 1 to {max_len} characters")
    return value


def _number(value: Any) -> float | None:
    """A finite number from a JSON number or French/English decimal text, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and len(value) <= 40:
        try:
            value = float(value.strip().replace(" ", "").replace(",", "."))
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def _index_list(value: Any, n: int) -> list[int] | None:
    if not isinstance(value, list) or not value or len(value) > n:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n for v in value):
        return None
    return sorted(set(value)) if len(set(value)) == len(value) else None


def validate_spec(raw: Any) -> tuple[str, dict, list[str] | None]:
    """Check a teacher's `push` payload: (type, spec to store, target pupil ids or None)."""
    if not isinstance(raw, dict):
        raise ClassroomError("malformed")
    kind = raw.get("type")
    if kind not in TYPES:
        raise ClassroomError("invalid_activity", "type: resource, message, quiz, handin, pause or h5p")
    targets = raw.get("to")
    if targets is not None:
        if (not isinstance(targets, list) or not targets or len(targets) > MAX_TARGETS
                or not all(isinstance(t, str) and 0 < len(t) <= 64 for t in targets)):
            raise ClassroomError("invalid_activity", "to: a list of pupil ids")
        targets = sorted(set(targets))
    spec: dict[str, Any] = {}
    if kind == "resource":
        rid = raw.get("resource_id")
        if rid is not None and (not isinstance(rid, str) or not RESOURCE_ID.match(rid)):
            raise ClassroomError("invalid_activity", "resource_id")
        url = raw.get("url") or (f"/library/{rid}" if rid else None)
        if not isinstance(url, str) or not url.startswith("/") or url.startswith("//") or len(url) > 500 \
                or any(c in url for c in "\\\"'<> \n\r\t"):
            raise ClassroomError("invalid_activity", "url: a path on this box, like /library/<id>")
        spec = {"resource_id": rid, "url": url, "title": _text(raw.get("title"), "title", 200)}
    elif kind == "h5p":  # an H5P exercise of the library, scored by its own xAPI statements
        rid = raw.get("resource_id")
        if not isinstance(rid, str) or not RESOURCE_ID.match(rid):
            raise ClassroomError("invalid_activity", "resource_id: the H5P resource's id")
        spec = {"resource_id": rid, "url": f"/library/{rid}", "title": _text(raw.get("title"), "title", 200)}
    elif kind == "message":
        spec = {"text": _text(raw.get("text"), "text", 2000)}
    elif kind == "pause":
        spec = {"text": _text(raw.get("text"), "text", 200, required=False, default=DEFAULT_PAUSE)}
    elif kind == "handin":
        accept = raw.get("accept", list(HANDIN_ACCEPT))
        if not isinstance(accept, list) or not accept or not set(accept) <= set(HANDIN_ACCEPT):
            raise ClassroomError("invalid_activity", "accept: text, photo and/or file")
        spec = {"instructions": _text(raw.get("instructions"), "instructions", 2000),
                "accept": [a for a in HANDIN_ACCEPT if a in accept]}
    else:
        spec = _quiz_spec(raw)
    return kind, spec, targets


def _quiz_spec(raw: dict) -> dict:
    kind = raw.get("kind")
    if kind not in QUIZ_KINDS:
        raise ClassroomError("invalid_activity", "kind: single, multiple, text or number")
    spec: dict[str, Any] = {"kind": kind, "question": _text(raw.get("question"), "question", 500)}
    duration = raw.get("duration_s")
    if duration is not None:
        if not isinstance(duration, int) or isinstance(duration, bool) or not 5 <= duration <= 3600:
            raise ClassroomError("invalid_activity", "duration_s: 5 to 3600 seconds")
        spec["duration_s"] = duration
    correct = raw.get("correct")
    if kind in ("single", "multiple"):
        choices = raw.get("choices")
        if not isinstance(choices, list) or not 2 <= len(choices) <= 10:
            raise ClassroomError("invalid_activity", "choices: 2 to 10")
        spec["choices"] = [_text(c, "choices", 200) for c in choices]
        if correct is not None:
            wanted = [correct] if kind == "single" else correct
            indexes = _index_list(wanted, len(choices))
            if indexes is None:
                raise ClassroomError("invalid_activity", "correct: index(es) of choices")
            spec["correct"] = indexes
    elif kind == "text" and correct is not None:
        accepted = [correct] if isinstance(correct, str) else correct
        if not isinstance(accepted, list) or not 0 < len(accepted) <= 20:
            raise ClassroomError("invalid_activity", "correct: accepted answers")
        spec["correct"] = [_text(a, "correct", 200) for a in accepted]
    elif kind == "number" and correct is not None:
        value, tolerance = _number(correct), _number(raw.get("tolerance", 0))
        if value is None or tolerance is None or tolerance < 0:
            raise ClassroomError("invalid_activity", "correct/tolerance: numbers")
        spec["correct"], spec["tolerance"] = value, tolerance
    return spec


def public_view(activity_id: str, kind: str, spec: dict, remaining_s: float | None = None) -> dict:
    """What pupils' screens receive: the activity without its correct answers."""
    view = {"id": activity_id, "type": kind,
            **{k: v for k, v in spec.items() if k not in ("correct", "tolerance")}}
    if remaining_s is not None:
        view["remaining_s"] = max(0.0, round(remaining_s, 1))
    return view


def fold(text: str) -> str:
    """Text compared for correctness: no case, accents or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def check_answer(kind: str, spec: dict, answer: Any, max_chars: int) -> tuple[Any, str, bool | None]:
    """Validate a pupil's answer: (value to store, response text, correct or None)."""
    if kind == "handin":
        text = answer.get("text") if isinstance(answer, dict) else answer
        if "text" not in spec["accept"] or not isinstance(text, str) or not text.strip() \
                or len(text) > max_chars:
            raise ClassroomError("invalid_answer")
        return {"text": text}, text, None
    if kind == "h5p":
        return h5p_score(answer, max_chars)
    if kind != "quiz":
        raise ClassroomError("not_answerable")
    quiz = spec["kind"]
    correct = spec.get("correct")
    if quiz in ("single", "multiple"):
        n = len(spec["choices"])
        picked = _index_list([answer] if quiz == "single" else answer, n)
        if picked is None:
            raise ClassroomError("invalid_answer")
        value = picked[0] if quiz == "single" else picked
        response = "[,]".join(str(i) for i in picked)
        return value, response, (picked == correct) if correct is not None else None
    if quiz == "text":
        if not isinstance(answer, str) or not answer.strip() or len(answer) > max_chars:
            raise ClassroomError("invalid_answer")
        ok = any(fold(answer) == fold(a) for a in correct) if correct is not None else None
        return answer.strip(), answer.strip(), ok
    number = _number(answer)
    if number is None:
        raise ClassroomError("invalid_answer")
    ok = abs(number - correct) <= spec.get("tolerance", 0) + 1e-9 if correct is not None else None
    return number, repr(number) if not number.is_integer() else str(int(number)), ok


MAX_H5P_SCORE = 100_000


def h5p_score(answer: Any, max_chars: int) -> tuple[dict, str, bool | None]:
    """An H5P exercise's score as the pupil's device reports it: {score, max, success?, response?}."""
    if not isinstance(answer, dict):
        raise ClassroomError("invalid_answer")
    raw, top = _number(answer.get("score")), _number(answer.get("max"))
    if isinstance(answer.get("score"), str) or isinstance(answer.get("max"), str) or raw is None or top is None \
            or not 0 <= raw <= top <= MAX_H5P_SCORE:
        raise ClassroomError("invalid_answer")
    response = answer.get("response", "")
    success = answer.get("success")
    if not isinstance(response, str) or len(response) > max_chars or not isinstance(success, (bool, type(None))):
        raise ClassroomError("invalid_answer")
    value = {"score": int(raw) if raw.is_integer() else raw, "max": int(top) if top.is_integer() else top,
             "completed": answer.get("completed") is True}
    if success is not None:
        value["success"] = success
    if response:
        value["response"] = response
    correct = success if success is not None else (raw == top if top > 0 else None)
    return value, response, correct


def for_pupil(targets: list[str] | None, pupil_id: str) -> bool:
    """Whether an activity sent to `targets` (None: everyone) is meant for this pupil."""
    return targets is None or pupil_id in targets
