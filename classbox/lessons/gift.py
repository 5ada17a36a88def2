"""Moodle GIFT import: questions to lesson steps, one lesson per $CATEGORY; the rest reported by line."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

from classbox.lessons.giftsyntax import decode, find, html_to_text, split_blocks, split_unescaped, unescape
from classbox.lessons.steps import TRUE_FALSE, LessonError, validate_step, validate_title
from classbox.lessons.store import Lesson
from classbox.web.i18n_marks import N_, ShownError

FORMAT = re.compile(r"\[(html|moodle|plain|markdown)\]")
WEIGHT = re.compile(r"%(-?\d+(?:\.\d+)?)%")
TRUE_FALSE_WORDS = {"T": True, "TRUE": True, "F": False, "FALSE": False}
CATEGORY_ROOTS = ("$course$", "$system$", "$module$", "$cat1$", "top")
BLANK = "_____"


class _Skip(ShownError):
    """A question classbox cannot play: skipped and reported, never an error."""


@dataclass
class Skipped:
    """A question left out of the import, and why."""

    line: int
    title: str
    reason: str
    shown: str | None = None
    params: dict = field(default_factory=dict)

    def shown_in(self, gettext: Callable[..., str]) -> str:
        """The reason in the page's language."""
        return gettext(self.shown, **self.params) if self.shown else self.reason


@dataclass
class GiftResult:
    """What a GIFT file gives: lessons (one per category) and the questions skipped."""

    lessons: list[Lesson] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class _Answer:
    mark: str
    weight: float | None
    text: str
    feedback: str | None


def parse_gift(data: bytes | str, default_title: str = "Leçon importée") -> GiftResult:
    """Read a GIFT file; raises LessonError naming the line for anything that is not GIFT."""
    text = decode(data) if isinstance(data, bytes) else data.replace("\r\n", "\n").lstrip("\ufeff")
    result = GiftResult()
    by_title: dict[str, Lesson] = {}
    current = validate_title(default_title)
    for block in split_blocks(text):
        body = block.text.strip()
        if body.startswith("$CATEGORY:"):
            first, _, body = body.partition("\n")
            current = _category(first[len("$CATEGORY:"):], default_title)
            if not body.strip():
                continue
        title = ""
        try:
            step = _question(body, block.line)
            title = step.get("title", "")
            step = validate_step(step, f"line {block.line}")
        except _Skip as skip:
            result.skipped.append(Skipped(block.line, _title_of(body), str(skip), skip.shown, skip.params))
            continue
        except LessonError as err:
            if err.line is not None:
                raise
            result.skipped.append(Skipped(block.line, title, err.detail, err.shown, err.params))
            continue
        if current not in by_title:
            by_title[current] = Lesson(current)
            result.lessons.append(by_title[current])
        by_title[current].steps.append(step)
    return result


def _title_of(body: str) -> str:
    if body.startswith("::"):
        end = find(body, "::", 2)
        return unescape(body[2:end]).strip() if end > 0 else ""
    return ""


def _category(path: str, default: str) -> str:
    parts = [p.replace("\x00", "/").strip() for p in path.strip().replace("//", "\x00").split("/")]
    while parts and parts[0] in CATEGORY_ROOTS:
        parts.pop(0)
    name = " / ".join(p for p in parts if p) or default
    return name[:200].strip()


def _text(raw: str, fmt: str) -> str:
    text = unescape(raw)
    return (html_to_text(text) if fmt == "html" else text).strip()


def _question(body: str, line: int) -> dict:
    title = ""
    if body.startswith("::"):
        end = find(body, "::", 2)
        if end < 0:
            raise LessonError("question title not closed by '::'", line=line,
                              shown=N_("titre de question non fermé par « :: »"))
        title, body = unescape(body[2:end]).strip(), body[end + 2:]
    head: dict = {"title": title} if title else {}
    start = find(body, "{")
    before, answer, after = (body, None, "") if start < 0 else (body[:start], None, "")
    if start >= 0:
        end = find(body, "}", start)
        answer, after = body[start + 1:end], body[end + 1:]
        if find(after, "{") >= 0:
            raise LessonError("two answer blocks in one question", line=line,
                              shown=N_("deux blocs de réponses dans une même question"))
    before = before.lstrip()
    match = FORMAT.match(before)
    fmt = match.group(1) if match else "moodle"
    before = before[match.end():] if match else before
    question = _text(before, fmt)
    if after.strip():
        question = f"{question} {BLANK} {_text(after, fmt)}".strip()
    if answer is None:
        return {"type": "message", "text": question, **head}
    general = None
    split = find(answer, "####")
    if split >= 0:
        general = _text(answer[split + 4:], fmt) or None
        answer = answer[:split]
    if general:
        head["general_feedback"] = general
    answer = answer.strip()
    if not answer:
        return {"type": "handin", "instructions": question, "accept": ["text"], **head}
    if answer.startswith("#"):
        return {**_numeric(answer[1:], line, fmt), "type": "quiz", "kind": "number", "question": question, **head}
    if find(answer, "~") >= 0:
        return {**_choices(_answers(answer, line, fmt), line), "type": "quiz", "question": question, **head}
    if find(answer, "=") >= 0 and "->" in answer:
        raise _Skip("matching questions are not supported", N_("les questions d'appariement ne sont pas prises en charge"))
    word = answer[:find(answer, "#")] if find(answer, "#") >= 0 else answer
    if word.strip() in TRUE_FALSE_WORDS:
        return {**_true_false(answer, fmt), "type": "quiz", "question": question, **head}
    return {**_short(_answers(answer, line, fmt)), "type": "quiz", "kind": "text", "question": question, **head}


def _answers(answer: str, line: int, fmt: str) -> list[_Answer]:
    parts = split_unescaped(answer, "=~")
    if parts[0][1].strip():
        raise _Skip(f"unknown answer syntax {parts[0][1].strip()[:40]!r} (answers start with = or ~)",
                    N_("réponse d'un type inconnu « %(value)s » (les réponses commencent par = ou ~)"),
                    value=parts[0][1].strip()[:40])
    found = []
    for mark, piece in parts[1:]:
        weight = None
        piece = piece.lstrip()
        if piece.startswith("%"):
            match = WEIGHT.match(piece)
            if match is None:
                raise LessonError(f"bad weight in {piece[:40]!r} (write %50%)", line=line,
                              shown=N_("poids incorrect dans « %(value)s » (écrivez %%50%%)"), value=piece[:40])
            weight = float(match.group(1))
            if not -100 <= weight <= 100:
                raise LessonError(f"weight {weight:g}% outside -100..100", line=line,
                                  shown=N_("poids de %(weight)s %% hors de -100..100"), weight=f"{weight:g}")
            piece = piece[match.end():]
        cut = find(piece, "#")
        feedback = _text(piece[cut + 1:], fmt) or None if cut >= 0 else None
        found.append(_Answer(mark, weight, _text(piece[:cut] if cut >= 0 else piece, fmt), feedback))
    return found


def _feedback(answers: list[_Answer]) -> dict:
    return {"feedback": [a.feedback for a in answers]} if any(a.feedback for a in answers) else {}


def _choices(answers: list[_Answer], line: int) -> dict:
    choices = {"choices": [a.text for a in answers], **_feedback(answers)}
    right = [i for i, a in enumerate(answers) if a.mark == "="]
    if right:
        if len(right) > 1:
            raise _Skip("several '=' answers in a single-choice question",
                        N_("plusieurs réponses « = » dans une question à choix unique"))
        weights = [100.0 if a.mark == "=" else (a.weight or 0.0) for a in answers]
        extra = {"weights": weights} if any(w for i, w in enumerate(weights) if i != right[0]) else {}
        return {"kind": "single", "correct": right[0], **choices, **extra}
    weights = [a.weight or 0.0 for a in answers]
    total = sum(w for w in weights if w > 0)
    if abs(total - 100) > 0.01:
        raise LessonError(f"weights of the right answers sum to {total:g}%, not 100%", line=line,
                          shown=N_("les poids des bonnes réponses font %(total)s %%, pas 100 %%"), total=f"{total:g}")
    return {"kind": "multiple", "correct": [i for i, w in enumerate(weights) if w > 0], "weights": weights, **choices}


def _short(answers: list[_Answer]) -> dict:
    if any(a.mark != "=" or (a.weight is not None and a.weight != 100) for a in answers):
        raise _Skip("short answers with partial credit are not supported",
                    N_("les réponses courtes à crédit partiel ne sont pas prises en charge"))
    return {"correct": [a.text for a in answers], **_feedback(answers)}


def _true_false(answer: str, fmt: str) -> dict:
    parts = split_unescaped(answer, "#")
    truth = TRUE_FALSE_WORDS[parts[0][1].strip()]
    if len(parts) > 3:
        raise _Skip("true/false with more than two feedbacks", N_("vrai/faux avec plus de deux retours"))
    wrong, right = [(_text(p, fmt) or None) for _, p in parts[1:]] + [None] * (3 - len(parts))
    step = {"kind": "single", "choices": list(TRUE_FALSE), "correct": 0 if truth else 1, "truefalse": True}
    if wrong or right:
        step["feedback"] = [right, wrong] if truth else [wrong, right]
    return step


def _number(text: str, line: int) -> float:
    try:
        value = float(unescape(text).strip())
    except ValueError:
        raise LessonError(f"{text.strip()[:40]!r} is not a number (write 3.14, not 3,14)", line=line,
                          shown=N_("« %(value)s » n'est pas un nombre (écrivez 3.14, pas 3,14)"),
                          value=text.strip()[:40]) from None
    if not math.isfinite(value):
        raise LessonError(f"{text.strip()[:40]!r} is not a finite number", line=line,
                          shown=N_("« %(value)s » n'est pas un nombre fini"), value=text.strip()[:40])
    return value


def _numeric(body: str, line: int, fmt: str) -> dict:
    parts = split_unescaped(body, "=~")
    if parts[0][1].strip():
        if len(parts) > 1:
            raise LessonError("numeric answer: write {#value} or {#=value =%50%other}", line=line,
                              shown=N_("réponse numérique : écrivez {#valeur} ou {#=valeur =%50%autre}"))
        answers = [_Answer("=", None, *_value_and_feedback(parts[0][1], fmt))]
    else:
        answers = [_Answer(mark, *_weighted(piece, line, fmt)) for mark, piece in parts[1:]]
    if not answers:
        raise LessonError("numeric answer without a value (write {#3.14} or {#1..2})", line=line,
                          shown=N_("réponse numérique sans valeur (écrivez {#3.14} ou {#1..2})"))
    parsed = [(_range(a.text, line), a) for a in answers]  # every value checked, even of skipped questions
    if len(parsed) != 1 or parsed[0][1].mark != "=" or parsed[0][1].weight not in (None, 100):
        raise _Skip("numeric questions with several answers or partial credit are not supported",
                    N_("les questions numériques à plusieurs réponses ou à crédit partiel ne sont pas prises en charge"))
    value, only = parsed[0]
    if not value:
        raise LessonError("numeric answer without a value (write {#3.14} or {#1..2})", line=line,
                          shown=N_("réponse numérique sans valeur (écrivez {#3.14} ou {#1..2})"))
    return {**value, **({"feedback": [only.feedback]} if only.feedback else {})}


def _value_and_feedback(piece: str, fmt: str) -> tuple[str, str | None]:
    cut = find(piece, "#")
    return (piece, None) if cut < 0 else (piece[:cut], _text(piece[cut + 1:], fmt) or None)


def _weighted(piece: str, line: int, fmt: str) -> tuple[float | None, str, str | None]:
    piece = piece.lstrip()
    match = WEIGHT.match(piece)
    weight = float(match.group(1)) if match else None
    if piece.startswith("%") and match is None:
        raise LessonError(f"bad weight in {piece[:40]!r} (write %50%)", line=line,
                              shown=N_("poids incorrect dans « %(value)s » (écrivez %%50%%)"), value=piece[:40])
    return (weight, *_value_and_feedback(piece[match.end():] if match else piece, fmt))


def _range(text: str, line: int) -> dict:
    text = unescape(text).strip()
    if not text:
        return {}  # Moodle's "any other answer" (~#feedback): only allowed in a skipped question
    if ".." in text:
        low, high = (_number(t, line) for t in text.split("..", 1))
        if low > high:
            raise LessonError(f"reversed range {low:g}..{high:g} (write the smaller number first)", line=line,
                              shown=N_("intervalle inversé %(low)s..%(high)s (écrivez le plus petit nombre d'abord)"),
                              low=f"{low:g}", high=f"{high:g}")
        return {"min": low, "max": high}
    value, _, tolerance = text.partition(":")
    tol = _number(tolerance, line) if tolerance.strip() else 0.0
    if tol < 0:
        raise LessonError(f"negative tolerance {tol:g}", line=line, shown=N_("tolérance négative %(tol)s"), tol=f"{tol:g}")
    return {"correct": _number(value, line), "tolerance": tol}
