"""classbox-lesson/1: lessons as JSON (see docs/lessons.md and classbox-lesson.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from classbox.lessons.steps import LessonError, validate_steps, validate_title
from classbox.lessons.store import Lesson
from classbox.web.i18n_marks import N_

FORMAT = "classbox-lesson/1"
MAX_LESSONS = 200
MAX_BYTES = 8 * 1024 * 1024


def looks_like_json(data: bytes) -> bool:
    """Whether an uploaded file is meant as classbox-lesson JSON rather than GIFT."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and b'"format"' in head


def _keys(obj: dict, allowed: set[str], field: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise LessonError(f"unknown key {unknown[0]!r}", field=f"{field}.{unknown[0]}" if field else unknown[0],
                          shown=N_("clé inconnue « %(key)s »"), key=unknown[0])


def parse_lessons_doc(doc: Any) -> list[Lesson]:
    """Checked lessons of a classbox-lesson/1 document; LessonError names the field."""
    if not isinstance(doc, dict):
        raise LessonError("a JSON object expected", field="(document)", shown=N_("un objet JSON attendu"))
    if doc.get("format") != FORMAT:
        raise LessonError(f"must be {FORMAT!r}", field="format", shown=N_("doit valoir « %(format)s »"), format=FORMAT)
    _keys(doc, {"format", "lessons"}, "")
    lessons = doc.get("lessons")
    if not isinstance(lessons, list) or not 1 <= len(lessons) <= MAX_LESSONS:
        raise LessonError(f"a list of 1 to {MAX_LESSONS} lessons expected", field="lessons",
                          shown=N_("une liste de 1 à %(max)s leçons attendue"), max=MAX_LESSONS)
    found = []
    for i, lesson in enumerate(lessons):
        where = f"lessons[{i}]"
        if not isinstance(lesson, dict):
            raise LessonError("an object expected", field=where, shown=N_("un objet attendu"))
        _keys(lesson, {"title", "steps"}, where)
        found.append(Lesson(validate_title(lesson.get("title"), f"{where}.title"),
                            validate_steps(lesson.get("steps"), f"{where}.steps")))
    return found


def parse_json(data: bytes) -> list[Lesson]:
    """Lessons of a classbox-lesson/1 file (UTF-8, with or without BOM)."""
    if len(data) > MAX_BYTES:
        raise LessonError(f"file larger than {MAX_BYTES // (1024 * 1024)} MB", shown=N_("fichier de plus de %(mb)s Mo"),
                          mb=MAX_BYTES // (1024 * 1024))
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise LessonError("not UTF-8 text", shown=N_("ce n'est pas du texte UTF-8 (enregistrez le fichier en UTF-8)")) from None
    except json.JSONDecodeError as err:
        raise LessonError(f"not valid JSON ({err.msg})", line=err.lineno, shown=N_("JSON incorrect (%(detail)s)"),
                          detail=err.msg) from None
    except RecursionError:
        raise LessonError("JSON nested too deeply", shown=N_("JSON trop imbriqué")) from None
    return parse_lessons_doc(doc)


def export_json(lessons: list[dict]) -> dict:
    """A classbox-lesson/1 document for lessons ({title, steps})."""
    return {"format": FORMAT, "lessons": [{"title": lesson["title"], "steps": lesson["steps"]} for lesson in lessons]}
