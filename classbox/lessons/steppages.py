"""The steps of a lesson on its page: add, edit, move (buttons, drag, keyboard), remove, preview as a pupil."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

from classbox.auth import login_required
from classbox.classroom.activities import public_view, validate_spec
from classbox.lessons.edits import LessonConflict, update_lesson
from classbox.lessons.pages import TEACHERS, bp, form_version, own_lesson, owner, save, visible_lesson
from classbox.lessons.stepforms import ACCEPT, MAX_CHOICES, form_values, label, step_from_form
from classbox.lessons.steps import LessonError, to_push
from classbox.lessons.store import mark_missing_resources
from classbox.library import catalogue
from classbox.storage import get_db


def _step(lesson: dict, index: int) -> dict:
    if not 0 <= index < len(lesson["steps"]):
        abort(404)
    return lesson["steps"][index]


def _resources(query: str, chosen: str) -> list[dict]:
    """Library resources to pick from: the search's first 20, the chosen one first."""
    found = catalogue.search(get_db(), q=query, per_page=20).items
    current = catalogue.get_resource(get_db(), chosen) if chosen else None
    return ([current] if current else []) + [r for r in found if not current or r["id"] != current["id"]]


def _form(lesson: dict, index: int | None, step_type: str, kind: str | None, values: dict,
          error: str | None = None, status: int = 200):
    label(step_type, kind)
    slots = min(MAX_CHOICES, max(4, len(values.get("choices", [])) + 2))
    values["choices"] = (values.get("choices", []) + [""] * MAX_CHOICES)[:slots]
    query = request.args.get("q", "")
    resources = _resources(query, values.get("resource_id", "")) if step_type == "resource" else []
    return render_template("lessons/step.html", lesson=lesson, index=index, step_type=step_type, kind=kind,
                           values=values, error=error, accept_kinds=ACCEPT, resources=resources, query=query,
                           label=label(step_type, kind)), status


def _posted(lesson: dict, index: int | None, step_type: str, kind: str | None, old: dict | None):
    """Save a submitted step form (new when `index` is None), or show it again with the reason."""
    form = request.form.copy()
    if step_type == "resource" and not (form.get("title") or "").strip() and form.get("resource_id"):
        picked = catalogue.get_resource(get_db(), form["resource_id"].strip())
        form["title"] = picked["title"] if picked else (old or {}).get("title", "")
    values = {**form_values({}), **{k: v for k, v in form.items()}, "choices": [
        form.get(f"choice-{i}", "") for i in range(MAX_CHOICES)], "correct": [
        int(v) for v in form.getlist("correct") if v.isascii() and v.isdigit()], "accept": form.getlist("accept")}
    try:
        step = step_from_form(step_type, kind, form, old)
    except LessonError as err:
        return _form(lesson, index, step_type, kind, values, err.as_dict(gettext)["message"], 400)
    steps = list(lesson["steps"])
    if index is None:
        steps.append(step)
    else:
        steps[index] = step
    try:
        update_lesson(get_db(), lesson["id"], owner(), lesson["title"], steps, form_version())
    except LessonConflict as err:
        return _form(lesson, index, step_type, kind, values, err.shown_in(gettext), 409)
    except LessonError as err:
        return _form(lesson, index, step_type, kind, values, err.as_dict(gettext)["message"], 400)
    flash(gettext("Étape enregistrée."), "info")
    return redirect(url_for(".lesson_page", lesson_id=lesson["id"]) + f"#step-{len(steps) - 1 if index is None else index}", 303)


@bp.route("/teacher/lessons/<int:lesson_id>/steps/new", methods=["GET", "POST"])
@login_required(*TEACHERS)
def new_step(lesson_id: int):
    """The form of a new step of the chosen type (?type=quiz&kind=single), and its saving."""
    lesson = own_lesson(lesson_id)
    step_type, _sep, kind_text = request.values.get("type", "").partition(":")  # "quiz:single"
    kind = kind_text or None if step_type == "quiz" else None
    try:
        label(step_type, kind)
    except LessonError:
        abort(404)
    if request.method == "POST":
        return _posted(lesson, None, step_type, kind, None)
    return _form(lesson, None, step_type, kind, form_values({}))


@bp.route("/teacher/lessons/<int:lesson_id>/steps/<int:index>", methods=["GET", "POST"])
@login_required(*TEACHERS)
def edit_step(lesson_id: int, index: int):
    """A step's form, filled, and its saving."""
    lesson = own_lesson(lesson_id)
    step = _step(lesson, index)
    if request.method == "POST":
        return _posted(lesson, index, step["type"], step.get("kind"), step)
    return _form(lesson, index, step["type"], step.get("kind"), form_values(step))


@bp.post("/teacher/lessons/<int:lesson_id>/steps/<int:index>/move")
@login_required(*TEACHERS)
def move_step(lesson_id: int, index: int):
    """Move a step one place up or down (the « monter / descendre » buttons)."""
    lesson = own_lesson(lesson_id)
    _step(lesson, index)
    target = index - 1 if request.form.get("direction") == "up" else index + 1
    steps = list(lesson["steps"])
    if 0 <= target < len(steps):
        steps[index], steps[target] = steps[target], steps[index]
        index = target if save(lesson, steps) else index
    return redirect(url_for(".lesson_page", lesson_id=lesson_id) + f"#step-{index}", 303)


@bp.post("/teacher/lessons/<int:lesson_id>/steps/<int:index>/remove")
@login_required(*TEACHERS)
def remove_step(lesson_id: int, index: int):
    """Remove one step."""
    lesson = own_lesson(lesson_id)
    _step(lesson, index)
    if save(lesson, lesson["steps"][:index] + lesson["steps"][index + 1:]):
        flash(gettext("Étape %(number)s retirée.", number=index + 1), "info")
    return redirect(url_for(".lesson_page", lesson_id=lesson_id), 303)


@bp.post("/teacher/lessons/<int:lesson_id>/order")
@login_required(*TEACHERS)
def reorder(lesson_id: int):
    """Put the steps in a new order (the page's drag handle and keyboard): `order` lists the old positions."""
    lesson = own_lesson(lesson_id)
    try:
        order = [int(x) for x in request.form.get("order", "").split(",")]
    except ValueError:
        order = []
    if sorted(order) != list(range(len(lesson["steps"]))):
        return jsonify({"error": "bad_order", "message": gettext("Ordre des étapes incorrect : rechargez la page.")}), 400
    try:
        version = update_lesson(get_db(), lesson_id, owner(), lesson["title"],
                                [lesson["steps"][i] for i in order], form_version())
    except LessonConflict as err:
        return jsonify({"error": "stale_version", "version": err.current, "message": err.shown_in(gettext)}), 409
    return jsonify({"version": version})


@bp.get("/teacher/lessons/<int:lesson_id>/steps/<int:index>/preview")
@login_required(*TEACHERS)
def preview(lesson_id: int, index: int):
    """A step as a pupil's screen shows it (without its answers), with the answer below for the teacher."""
    lesson = visible_lesson(lesson_id)
    step = mark_missing_resources(get_db(), [_step(lesson, index)])[0]
    kind, spec, _targets = validate_spec(to_push(step))
    shown = public_view("preview", kind, spec, step.get("duration_s"))
    return render_template("lessons/preview.html", lesson=lesson, index=index, step=step, shown=shown,
                           answer=form_values(step))
