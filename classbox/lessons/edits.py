"""Changing a teacher's lesson: save against the version read (a stale one is refused), duplicate, delete."""

from __future__ import annotations

import json
import time

import sqlite_utils

from classbox.lessons.steps import LessonError
from classbox.web.i18n_marks import N_


class LessonNotFound(LessonError):
    """No such lesson, or another teacher's (told apart from nothing, so that ids leak nothing)."""

    def __init__(self) -> None:
        super().__init__("no such lesson", shown=N_("leçon introuvable"))


class LessonReadOnly(LessonError):
    """A content pack's lesson: nobody edits it, a teacher duplicates it to change it."""

    def __init__(self) -> None:
        super().__init__("this lesson comes from a content pack: duplicate it to change it",
                         shown=N_("cette leçon vient d'un paquet de contenus : dupliquez-la pour la modifier"))


class LessonConflict(LessonError):
    """The lesson changed since it was read (another tab, another teacher): the save is refused."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the lesson changed since you opened it (now version {current}): nothing saved",
                         shown=N_("cette leçon a été modifiée ailleurs (autre onglet ou autre enseignant) depuis "
                                  "que vous l'avez ouverte : vos changements n'ont pas été enregistrés. "
                                  "Rechargez la leçon, puis refaites-les."))
        self.current = current


def _row(db: sqlite_utils.Database, lesson_id: int, user: dict) -> tuple[int | None, str | None, int]:
    """(owner id, pack id, version) of a lesson `user` may see; LessonNotFound otherwise."""
    row = db.execute("SELECT owner_id, pack_id, version FROM lessons WHERE id = ?", [lesson_id]).fetchone()
    if row is None or (row[1] is None and row[0] != user["id"]):
        raise LessonNotFound()
    return row[0], row[1], row[2]


def _writable(db: sqlite_utils.Database, lesson_id: int, user: dict) -> int:
    """The version of a lesson `user` owns; LessonNotFound or LessonReadOnly otherwise."""
    _owner, pack, version = _row(db, lesson_id, user)
    if pack is not None:
        raise LessonReadOnly()
    return version


def _write_steps(conn, lesson_id: int, steps: list[dict]) -> None:
    conn.execute("DELETE FROM lesson_steps WHERE lesson_id = ?", [lesson_id])
    conn.executemany("INSERT INTO lesson_steps (lesson_id, position, spec) VALUES (?, ?, ?)",
                     [(lesson_id, i, json.dumps(step, ensure_ascii=False)) for i, step in enumerate(steps)])


def update_lesson(db: sqlite_utils.Database, lesson_id: int, user: dict, title: str, steps: list[dict],
                  version: int) -> int:
    """Replace a lesson's title and (checked) steps if it is still at `version`; the new version.

    A stale `version` raises LessonConflict and changes nothing (the check and the write are one
    UPDATE, inside the transaction that rewrites the steps)."""
    _writable(db, lesson_id, user)
    conn = db.conn
    with conn:
        done = conn.execute("UPDATE lessons SET title = ?, version = version + 1, updated_wall = ? "
                            "WHERE id = ? AND owner_id = ? AND version = ?",
                            [title, time.time(), lesson_id, user["id"], version]).rowcount
        if done != 1:
            current = conn.execute("SELECT version FROM lessons WHERE id = ?", [lesson_id]).fetchone()
            raise LessonConflict(current[0] if current else 0)
        _write_steps(conn, lesson_id, steps)
    return version + 1


def duplicate_lesson(db: sqlite_utils.Database, lesson_id: int, user: dict, title: str) -> int:
    """Copy a lesson `user` may see (their own or a pack's) as a new lesson of theirs; its id."""
    _row(db, lesson_id, user)
    now = time.time()
    conn = db.conn
    with conn:
        cursor = conn.execute(
            "INSERT INTO lessons (title, owner_id, owner_login, source, created_wall, updated_wall) "
            "SELECT ?, ?, ?, source, ?, ? FROM lessons WHERE id = ?",
            [title, user["id"], user["login"], now, now, lesson_id])
        new_id = int(cursor.lastrowid)
        conn.execute("INSERT INTO lesson_steps (lesson_id, position, spec) "
                     "SELECT ?, position, spec FROM lesson_steps WHERE lesson_id = ?", [new_id, lesson_id])
    return new_id


def delete_lesson(db: sqlite_utils.Database, lesson_id: int, user: dict) -> None:
    """Delete a lesson `user` owns, with its steps."""
    _writable(db, lesson_id, user)
    conn = db.conn
    with conn:
        conn.execute("DELETE FROM lesson_steps WHERE lesson_id = ?", [lesson_id])
        conn.execute("DELETE FROM lessons WHERE id = ? AND owner_id = ?", [lesson_id, user["id"]])


def copy_title(title: str, gettext) -> str:
    """The title of a duplicate: « Copie de … », cut to the title limit."""
    return gettext(N_("Copie de %(title)s"), title=title)[:200]
