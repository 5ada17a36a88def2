"""Lessons a content pack ships: checked against the pack's own files, then kept in step with its versions."""

from __future__ import annotations

import json
import time
from typing import Any, Callable

import sqlite_utils

from classbox.lessons.lessonjson import MAX_LESSONS
from classbox.lessons.steps import LessonError, validate_steps, validate_title
from classbox.lessons.store import Lesson
from classbox.web.i18n_marks import N_

LESSON_KEYS = {"title", "steps"}
RESOURCE_KEYS = {"type", "title", "path"}


def _where(index: int, title: str | None) -> str:
    return f"lessons[{index}]" + (f" {title!r}" if title else "")


def _resource_step(raw: dict, lesson: str, number: int, titles: dict[str, str], pack_id: str,
                   resource_id: Callable[[str, str], str]) -> dict:
    """A pack lesson's resource step: `path` names one of the pack's files, which becomes its resource id."""
    unknown = sorted(set(raw) - RESOURCE_KEYS)
    if unknown or not isinstance(raw.get("path"), str):
        raise LessonError(f"{lesson}, step {number}: a resource step of a pack names one of the pack's files "
                          f"with \"path\" (and an optional \"title\")",
                          shown=N_("leçon %(lesson)s, étape %(step)s : une ressource d'un paquet se désigne par "
                                   "le chemin d'un fichier du paquet (« path »)"), lesson=lesson, step=number)
    path = raw["path"]
    if path not in titles:
        raise LessonError(f"{lesson}, step {number}: the pack has no file {path!r} (list it in \"resources\")",
                          shown=N_("leçon %(lesson)s, étape %(step)s : le fichier %(path)s n'est pas dans le paquet "
                                   "(il doit figurer dans « resources »)"), lesson=lesson, step=number, path=path)
    return {"type": "resource", "title": raw.get("title") or titles[path], "resource_id": resource_id(pack_id, path)}


def parse_pack_lessons(raw: Any, pack_id: str, titles: dict[str, str],
                       resource_id: Callable[[str, str], str]) -> list[Lesson]:
    """The checked lessons of a manifest's `lessons` (None: none); `titles` maps the pack's paths to titles.

    LessonError names the lesson (index and title) and the step (from 1)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_LESSONS:
        raise LessonError(f"\"lessons\" must be a list of at most {MAX_LESSONS} lessons",
                          shown=N_("« lessons » doit être une liste d'au plus %(max)s leçons"), max=MAX_LESSONS)
    lessons, seen = [], set()
    for index, entry in enumerate(raw):
        title = entry.get("title") if isinstance(entry, dict) else None
        where = _where(index, title if isinstance(title, str) else None)
        if not isinstance(entry, dict) or set(entry) - LESSON_KEYS or not isinstance(entry.get("steps"), list):
            raise LessonError(f"{where}: an object {{title, steps}} expected",
                              shown=N_("leçon %(lesson)s : un objet {title, steps} attendu"), lesson=where)
        title = validate_title(title, f"{where}.title")
        if title in seen:  # a pack's lessons are matched by title across its versions
            raise LessonError(f"{where}: two lessons of the pack have this title",
                              shown=N_("leçon %(lesson)s : deux leçons du paquet portent ce titre"), lesson=where)
        seen.add(title)
        steps = [_resource_step(step, where, n + 1, titles, pack_id, resource_id)
                 if isinstance(step, dict) and step.get("type") == "resource" else step
                 for n, step in enumerate(entry["steps"])]
        lessons.append(Lesson(title, validate_steps(steps, f"{where}.steps")))
    return lessons


def sync_pack_lessons(db: sqlite_utils.Database, pack_id: str, lessons: list[Lesson]) -> None:
    """Make the pack's lessons these (inside the caller's transaction): a lesson keeps its id across
    versions (matched by title) and gets a new version when its steps change; lessons gone are removed."""
    now = time.time()
    existing = {title: (lesson_id, version) for lesson_id, title, version in db.execute(
        "SELECT id, title, version FROM lessons WHERE pack_id = ?", [pack_id]).fetchall()}
    for lesson in lessons:
        specs = [json.dumps(step, ensure_ascii=False) for step in lesson.steps]
        if lesson.title in existing:
            lesson_id, version = existing.pop(lesson.title)
            stored = [s for (s,) in db.execute("SELECT spec FROM lesson_steps WHERE lesson_id = ? ORDER BY position",
                                               [lesson_id])]
            if stored == specs:
                continue
            db.execute("UPDATE lessons SET version = ?, updated_wall = ? WHERE id = ?", [version + 1, now, lesson_id])
            db.execute("DELETE FROM lesson_steps WHERE lesson_id = ?", [lesson_id])
        else:
            lesson_id = db.execute("INSERT INTO lessons (title, pack_id, source, created_wall, updated_wall) "
                                   "VALUES (?, ?, 'pack', ?, ?)", [lesson.title, pack_id, now, now]).lastrowid
        db.conn.executemany("INSERT INTO lesson_steps (lesson_id, position, spec) VALUES (?, ?, ?)",
                            [(lesson_id, i, spec) for i, spec in enumerate(specs)])
    for lesson_id, _version in existing.values():
        db.execute("DELETE FROM lesson_steps WHERE lesson_id = ?", [lesson_id])
        db.execute("DELETE FROM lessons WHERE id = ?", [lesson_id])


def delete_pack_lessons(db: sqlite_utils.Database, pack_id: str) -> int:
    """Remove a pack's lessons (inside the caller's transaction); teachers' copies stay. How many."""
    count = db.execute("SELECT count(*) FROM lessons WHERE pack_id = ?", [pack_id]).fetchone()[0]
    sync_pack_lessons(db, pack_id, [])
    return count
