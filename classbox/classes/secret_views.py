"""The teacher's side of join secrets: turn them on or off for a class, see them, reset one."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for

from classbox.auth import current_user, login_required
from classbox.classes import pictograms, secrets
from classbox.classes.errors import ClassesError
from classbox.classes.store import _owned
from classbox.storage import get_db

bp = Blueprint("class_secrets", __name__)


@bp.errorhandler(ClassesError)
def refused(error: ClassesError):
    """404 for a class or member this teacher cannot see, 400 otherwise."""
    return jsonify(error.as_json()), 404 if error.code in ("unknown_class", "unknown_member") else 400


def _owner() -> int:
    return current_user()["id"]


def _unblock(member_id: str) -> None:
    """A new secret lifts the member's wrong-secret throttle (the teacher vouches for the pupil)."""
    tap = getattr(current_app.extensions.get("classroom"), "tap", None)
    if tap is not None:
        tap.member_limit.forget(member_id)


@bp.app_template_global("class_join_secrets")
def class_join_secrets(class_id: int) -> dict:
    """For the class page (already checked as the teacher's): {enabled, secrets {member: [url, url]}, labels}."""
    found = secrets.class_secrets(get_db(), class_id)
    return {"enabled": secrets.enabled(get_db(), class_id),
            "secrets": {m: [pictograms.url(p) for p in pair] for m, pair in found.items()},
            "names": {m: [pictograms.label(p) for p in pair] for m, pair in found.items()}}


@bp.get("/api/classes/<int:class_id>/secrets")
@login_required("teacher", "admin")
def show(class_id: int):
    """{enabled, secrets: {member id: [picture, picture]}} of one of the teacher's classes."""
    db = get_db()
    _owned(db, _owner(), class_id)
    return jsonify({"enabled": secrets.enabled(db, class_id), "secrets": secrets.class_secrets(db, class_id)})


@bp.put("/api/classes/<int:class_id>/secrets")
@login_required("teacher", "admin")
def switch(class_id: int):
    """Turn the class's secrets on or off {enabled}."""
    body = request.get_json(silent=True)
    on = secrets.set_enabled(get_db(), _owner(), class_id, body.get("enabled") if isinstance(body, dict) else None)
    return jsonify({"enabled": on, "secrets": secrets.class_secrets(get_db(), class_id)})


@bp.post("/api/classes/<int:class_id>/members/<member_id>/secret")
@login_required("teacher", "admin")
def reset(class_id: int, member_id: str):
    """A new secret for one member: {secret: [picture, picture]} chosen by the teacher, or random."""
    body = request.get_json(silent=True)
    pair = body.get("secret") if isinstance(body, dict) else None
    chosen = secrets.reset_secret(get_db(), _owner(), class_id, member_id[:64], pair)
    _unblock(member_id[:64])
    return jsonify({"member_id": member_id[:64], "secret": chosen})


@bp.post("/teacher/classes/<int:class_id>/secrets")
@login_required("teacher", "admin")
def switch_form(class_id: int):
    """The class page's switch (checkbox `enabled`)."""
    try:
        secrets.set_enabled(get_db(), _owner(), class_id, request.form.get("enabled") == "on")
    except ClassesError:
        abort(404)
    return redirect(url_for("classes_pages.class_page", class_id=class_id) + "#secrets")


@bp.post("/teacher/classes/<int:class_id>/members/<member_id>/secret")
@login_required("teacher", "admin")
def reset_form(class_id: int, member_id: str):
    """The class page's "new secret" button of one member."""
    try:
        secrets.reset_secret(get_db(), _owner(), class_id, member_id[:64])
    except ClassesError as error:
        abort(404 if error.code in ("unknown_class", "unknown_member") else 400)
    _unblock(member_id[:64])
    return redirect(url_for("classes_pages.class_page", class_id=class_id) + "#secrets")
