"""Lessons written back as Moodle GIFT: one $CATEGORY per lesson; steps GIFT cannot hold become comments."""

from __future__ import annotations

from classbox.lessons.giftsyntax import escape


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def _text(text: str) -> str:
    out = escape(text)
    return "[plain]" + out if out.startswith(("[", "/", "$")) else out


def _fb(text: str | None) -> str:
    return "#" + escape(text) if text else ""


def _general(step: dict) -> str:
    return "####" + escape(step["general_feedback"]) if step.get("general_feedback") else ""


def _choice_answers(step: dict) -> str:
    feedback = step.get("feedback") or [None] * len(step["choices"])
    weights = step.get("weights")
    if step["kind"] == "multiple" and weights is None:
        share = round(100 / len(step.get("correct") or [0]), 5)
        weights = [share if i in step.get("correct", []) else 0 for i in range(len(step["choices"]))]
    lines = []
    for i, choice in enumerate(step["choices"]):
        if step["kind"] == "single" and i == step.get("correct"):
            mark = "=%100%" if choice.startswith("%") else "="
        else:
            weight = weights[i] if weights else 0
            mark = f"~%{_num(weight)}%" if weight or choice.startswith("%") else "~"
        lines.append(f"\t{mark}{escape(choice)}{_fb(feedback[i])}")
    return "\n".join(lines)


def _answer(step: dict) -> str | None:
    kind = step["kind"]
    if step.get("truefalse"):
        truth = step.get("correct") == 0
        feedback = step.get("feedback") or [None, None]
        right, wrong = (feedback[0], feedback[1]) if truth else (feedback[1], feedback[0])
        tail = ("#" + escape(wrong or "") + _fb(right)) if (wrong or right) else ""
        return ("TRUE" if truth else "FALSE") + tail
    if kind in ("single", "multiple"):
        return "\n" + _choice_answers(step) + "\n"
    feedback = step.get("feedback") or []
    if kind == "text":
        correct = step.get("correct") or []
        return " ".join(f"={'%100%' if a.startswith('%') else ''}{escape(a)}{_fb(feedback[i] if feedback else None)}"
                        for i, a in enumerate(correct))
    if "min" in step:
        value = f"{_num(step['min'])}..{_num(step['max'])}"
    elif "correct" in step:
        value = _num(step["correct"]) + (f":{_num(step['tolerance'])}" if step.get("tolerance") else "")
    else:
        return None
    return "#" + value + _fb(feedback[0] if feedback else None)


def step_gift(step: dict, position: int) -> str:
    """One step as a GIFT question (or a comment saying why it has no GIFT form)."""
    head = f"::{escape(step['title'])}::" if step.get("title") and step["type"] != "resource" else ""
    if step["type"] == "message":
        return head + _text(step["text"])
    if step["type"] == "handin":
        return head + _text(step["instructions"]) + "{" + _general(step) + "}"
    if step["type"] == "quiz":
        answer = _answer(step)
        if answer is not None:
            return head + _text(step["question"]) + "{" + answer + _general(step) + "}"
        return f"// step {position + 1}: a number question without its answer (no GIFT form)"
    what = step.get("title") or step.get("text") or ""
    return f"// step {position + 1}: {step['type']} {' '.join(what.split())[:80]} (no GIFT form)"


def category_path(title: str) -> str:
    """A lesson title as a Moodle category path ('/' doubled, as Moodle escapes it)."""
    return "$course$/top/" + " ".join(title.split()).replace("/", "//")


def export_gift(lessons: list[dict]) -> str:
    """GIFT text for lessons ({title, steps}), UTF-8 ready, one blank line between questions."""
    parts = []
    for lesson in lessons:
        parts.append(f"// classbox lesson: {' '.join(lesson['title'].split())}\n$CATEGORY: {category_path(lesson['title'])}")
        parts.extend(step_gift(step, i) for i, step in enumerate(lesson["steps"]))
    return "\n\n".join(parts) + "\n"
