"""Import a lesson file (GIFT or classbox-lesson/1 JSON, told apart by content) into the database."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

from classbox.lessons.gift import Skipped, parse_gift
from classbox.lessons.lessonjson import looks_like_json, parse_json
from classbox.lessons.steps import LessonError
from classbox.lessons.store import Lesson, save_lessons
from classbox.web.i18n_marks import N_

DEFAULT_TITLE = "Leçon importée"


@dataclass
class ImportResult:
    """Lessons saved (ids in file order), questions skipped and the format read."""

    format: str
    ids: list[int] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def read_lessons(data: bytes, default_title: str = DEFAULT_TITLE) -> ImportResult:
    """Parse a GIFT or JSON lesson file without saving it; LessonError if nothing can be imported."""
    if looks_like_json(data):
        return ImportResult("json", lessons=parse_json(data))
    gift = parse_gift(data, default_title or DEFAULT_TITLE)
    result = ImportResult("gift", lessons=[lesson for lesson in gift.lessons if lesson.steps], skipped=gift.skipped)
    if not result.lessons:
        raise LessonError(f"no question classbox can play in this file ({len(gift.skipped)} skipped)",
                          shown=N_("aucune question jouable par la classbox dans ce fichier (%(count)s ignorées)"),
                          count=len(gift.skipped))
    return result


def import_lessons(db: sqlite_utils.Database, data: bytes, owner: dict, default_title: str = DEFAULT_TITLE) -> ImportResult:
    """Parse then save every lesson of the file for `owner` in one transaction (all or nothing)."""
    result = read_lessons(data, default_title)
    result.ids = save_lessons(db, result.lessons, owner, result.format)
    return result


def title_from_filename(name: str | None) -> str:
    """A default lesson title from an uploaded file's name ('quiz-fractions.gift' -> 'quiz-fractions')."""
    stem = (name or "").replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0].strip()
    return stem[:200] or DEFAULT_TITLE
