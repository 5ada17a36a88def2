"""The teacher's pages: their classes, a class's members, adding members one by one or from a CSV file."""

from __future__ import annotations

import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext

from classbox.auth import current_user, login_required
from classbox.classes import pictograms, store
from classbox.classes.csv_import import NOTE_MESSAGES, import_csv
from classbox.classes.errors import ClassesError
from classbox.classes.model import LEVELS
from classbox.classes.views import forget_members
from classbox.storage import get_db

bp = Blueprint("classes_pages", __name__)


@bp.app_template_filter("day")
def day(iso: str) -> str:
    """An ISO day in words, in the page's language (10 juillet 2027)."""
    return format_date(datetime.date.fromisoformat(iso), "long")


def _owner() -> int:
    return current_user()["id"]


def _own_class(class_id: int) -> dict:
    try:
        return store.get_class(get_db(), _owner(), class_id)
    except ClassesError:
        abort(404)


@bp.get("/teacher/classes")
@login_required("teacher", "admin")
def classes_page():
    """The teacher's classes and a form to create one."""
    return render_template("classes/list.html", classes=store.list_classes(get_db(), _owner()), levels=LEVELS)


@bp.post("/teacher/classes")
@login_required("teacher", "admin")
def create():
    """Create a class from the form, then show it."""
    privacy = current_app.config["CLASSBOX"]["privacy"]
    try:
        made = store.create_class(get_db(), _owner(), request.form.get("name", ""), request.form.getlist("levels"),
                                  privacy["class_year_end"], archive_md=privacy["class_archive"])
    except ClassesError as error:
        flash(error.message, "error")
        return redirect(url_for(".classes_page"))
    return redirect(url_for(".class_page", class_id=made["id"]))


@bp.get("/teacher/classes/<int:class_id>")
@login_required("teacher", "admin")
def class_page(class_id: int):
    """A class: its members with their pictures, forms to add and remove members."""
    choices = [(p, gettext(pictograms.label(p))) for p in pictograms.PICTURE_IDS]
    return render_template("classes/class.html", klass=_own_class(class_id), pictures=choices,
                           label=lambda p: gettext(pictograms.label(p)))


@bp.post("/teacher/classes/<int:class_id>/members")
@login_required("teacher", "admin")
def add(class_id: int):
    """Add one member (name, picture) or the members of an uploaded CSV file."""
    _own_class(class_id)
    db, upload = get_db(), request.files.get("file")
    try:
        if upload is not None and upload.filename:
            added, plan = import_csv(db, _owner(), class_id, upload.read())
            for note in plan.notes:
                flash(gettext(NOTE_MESSAGES[note.code], line=note.line, name=note.name, other=note.other), "info")
        else:
            picture = request.form.get("picture") or None
            added = store.add_members(db, _owner(), class_id, [{"name": request.form.get("name", ""),
                                                                "picture": picture}])
        flash(gettext("%(count)s élève(s) ajouté(s).", count=len(added)), "info")
    except ClassesError as error:
        flash(error.message, "error")
    return redirect(url_for(".class_page", class_id=class_id))


@bp.post("/teacher/classes/<int:class_id>/members/<member_id>/remove")
@login_required("teacher", "admin")
def remove(class_id: int, member_id: str):
    """Remove a member from the class."""
    _own_class(class_id)
    try:
        store.remove_member(get_db(), _owner(), class_id, member_id[:64])
        forget_members([member_id[:64]])
    except ClassesError as error:
        flash(error.message, "error")
    return redirect(url_for(".class_page", class_id=class_id))


@bp.post("/teacher/classes/<int:class_id>/archive")
@login_required("teacher", "admin")
def archive(class_id: int):
    """Archive the class by hand (archived=1) or restore it until its erasure (archived=0)."""
    _own_class(class_id)
    store.set_archived(get_db(), _owner(), class_id, request.form.get("archived") == "1")
    return redirect(url_for(".class_page", class_id=class_id))
