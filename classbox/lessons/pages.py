"""The teacher's lessons pages: their lessons and the packs', create, import, rename, duplicate, delete."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from classbox.auth import current_user, login_required
from classbox.lessons.edits import LessonConflict, copy_title, delete_lesson, duplicate_lesson, update_lesson
from classbox.lessons.importer import import_lessons, title_from_filename
from classbox.lessons.stepforms import NEW_STEPS
from classbox.lessons.steps import LessonError, validate_title
from classbox.lessons.store import Lesson, get_lesson, list_lessons, mark_missing_resources, save_lessons
from classbox.runtime.offload import off_loop
from classbox.storage import get_db

bp = Blueprint("lessons_pages", __name__)
TEACHERS = ("teacher", "admin")


def owner() -> dict:
    """The logged-in teacher as a lesson owner {id, login}."""
    user = current_user()
    return {"id": user["id"], "login": user["login"]}


def visible_lesson(lesson_id: int) -> dict:
    """A lesson the teacher may see (their own or a pack's), else 404."""
    found = get_lesson(get_db(), lesson_id, current_user())
    if found is None:
        abort(404)
    return found


def own_lesson(lesson_id: int) -> dict:
    """A lesson the teacher may change: a pack's goes back to its page, which offers to duplicate it."""
    found = visible_lesson(lesson_id)
    if found["read_only"]:
        flash(gettext("Cette leçon vient d'un paquet de contenus : dupliquez-la pour la modifier."), "error")
        abort(redirect(url_for("lessons_pages.lesson_page", lesson_id=lesson_id), 303))
    return found


def form_version() -> int:
    """The version of the lesson the submitted form was made from (-1 if absent: refused as stale)."""
    text = request.form.get("version", "")
    return int(text) if text.isascii() and text.isdigit() else -1


def save(lesson: dict, steps: list[dict], title: str | None = None) -> bool:
    """Save steps (and title) against the form's version; False, with the reason flashed, if refused."""
    try:
        update_lesson(get_db(), lesson["id"], owner(), title or lesson["title"], steps, form_version())
    except LessonConflict as err:
        flash(err.shown_in(gettext), "error")
        return False
    except LessonError as err:
        flash(err.as_dict(gettext)["message"], "error")
        return False
    return True


@bp.get("/teacher/lessons")
@login_required(*TEACHERS)
def lessons_page():
    """The teacher's lessons and the packs' ones, forms to create and to import."""
    rows = list_lessons(get_db(), current_user())
    return render_template("lessons/list.html", own=[r for r in rows if not r["read_only"]],
                           packs=[r for r in rows if r["read_only"]])


@bp.post("/teacher/lessons")
@login_required(*TEACHERS)
def create():
    """Create an empty lesson from its title, then open it."""
    try:
        title = validate_title(request.form.get("title", ""))
    except LessonError as err:
        flash(gettext("Titre : %(message)s", message=err.shown_in(gettext)), "error")
        return redirect(url_for(".lessons_page"), 303)
    [made] = save_lessons(get_db(), [Lesson(title)], owner(), "page")
    return redirect(url_for(".lesson_page", lesson_id=made), 303)


@bp.post("/teacher/lessons/import")
@login_required(*TEACHERS)
def import_file():
    """Import an uploaded GIFT or JSON file; the report names every skipped line."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(gettext("Choisissez un fichier GIFT ou JSON."), "error")
        return redirect(url_for(".lessons_page"), 303)
    try:
        result = off_loop(import_lessons, get_db(), upload.read(), owner(), title_from_filename(upload.filename))
    except LessonError as err:
        return render_template("lessons/imported.html", name=upload.filename, error=err.as_dict(gettext)["message"],
                               skipped=[], made=[]), 400
    skipped = [(s.line, s.title, s.shown_in(gettext)) for s in result.skipped]
    return render_template("lessons/imported.html", name=upload.filename, error=None, skipped=skipped,
                           made=list(zip(result.ids, result.lessons)))


@bp.get("/teacher/lessons/<int:lesson_id>")
@login_required(*TEACHERS)
def lesson_page(lesson_id: int):
    """A lesson: its steps with their actions (a pack's lesson: read-only, with « Dupliquer pour modifier »)."""
    lesson = visible_lesson(lesson_id)
    lesson["steps"] = mark_missing_resources(get_db(), lesson["steps"])
    return render_template("lessons/lesson.html", lesson=lesson, new_steps=NEW_STEPS)


@bp.post("/teacher/lessons/<int:lesson_id>/title")
@login_required(*TEACHERS)
def rename(lesson_id: int):
    """Change a lesson's title."""
    lesson = own_lesson(lesson_id)
    try:
        title = validate_title(request.form.get("title", ""))
    except LessonError as err:
        flash(gettext("Titre : %(message)s", message=err.shown_in(gettext)), "error")
    else:
        if save(lesson, lesson["steps"], title):
            flash(gettext("Titre enregistré."), "info")
    return redirect(url_for(".lesson_page", lesson_id=lesson_id), 303)


@bp.post("/teacher/lessons/<int:lesson_id>/duplicate")
@login_required(*TEACHERS)
def duplicate(lesson_id: int):
    """Copy a lesson (the teacher's or a pack's) as a new lesson of theirs, and open the copy."""
    lesson = visible_lesson(lesson_id)
    made = duplicate_lesson(get_db(), lesson_id, owner(), copy_title(lesson["title"], gettext))
    flash(gettext("Copie créée : vous pouvez la modifier."), "info")
    return redirect(url_for(".lesson_page", lesson_id=made), 303)


@bp.get("/teacher/lessons/<int:lesson_id>/delete")
@login_required(*TEACHERS)
def confirm_delete(lesson_id: int):
    """Ask before deleting a lesson."""
    return render_template("lessons/delete.html", lesson=own_lesson(lesson_id))


@bp.post("/teacher/lessons/<int:lesson_id>/delete")
@login_required(*TEACHERS)
def delete(lesson_id: int):
    """Delete a lesson (after the confirmation page)."""
    lesson = own_lesson(lesson_id)
    delete_lesson(get_db(), lesson_id, owner())
    flash(gettext("Leçon « %(title)s » supprimée.", title=lesson["title"]), "info")
    return redirect(url_for(".lessons_page"), 303)
