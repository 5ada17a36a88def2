"""The classes JSON API (a teacher's own classes only) and the bundled pictograms."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, request
from flask_babel import gettext

from classbox.auth import current_user, login_required
from classbox.classes import pictograms, store
from classbox.classes.csv_import import NOTE_MESSAGES, ImportPlan, import_csv
from classbox.classes.errors import ClassesError
from classbox.storage import get_db

bp = Blueprint("classes", __name__)
NOT_FOUND = {"unknown_class", "unknown_member"}
IMMUTABLE = "public, max-age=31536000, immutable"


@bp.errorhandler(ClassesError)
def refused(error: ClassesError):
    """A refused request: 404 for a class or member this teacher cannot see, 409 for a change to an
    archived class, 400 otherwise."""
    return jsonify(error.as_json()), 404 if error.code in NOT_FOUND else 409 if error.code == "archived_class" else 400


def _owner() -> int:
    return current_user()["id"]


def _json() -> dict | list:
    body = request.get_json(silent=True)
    if not isinstance(body, (dict, list)):
        raise ClassesError("malformed")
    return body


@bp.get("/api/classes")
@login_required("teacher", "admin")
def list_classes():
    """The teacher's classes, with their member counts."""
    return jsonify({"classes": store.list_classes(get_db(), _owner())})


@bp.post("/api/classes")
@login_required("teacher", "admin")
def create_class():
    """Create a class {name, levels, members?}; 201 with the class."""
    body = _json()
    if not isinstance(body, dict):
        raise ClassesError("malformed")
    db = get_db()
    privacy = current_app.config["CLASSBOX"]["privacy"]
    made = store.create_class(db, _owner(), body.get("name"), body.get("levels"), privacy["class_year_end"],
                              archive_md=privacy["class_archive"])
    if body.get("members"):
        try:
            store.add_members(db, _owner(), made["id"], _entries(body["members"]))
        except ClassesError:
            store.delete_class(db, _owner(), made["id"])  # nothing half-made
            raise
    return jsonify(store.get_class(db, _owner(), made["id"])), 201


@bp.get("/api/classes/<int:class_id>")
@login_required("teacher", "admin")
def get_class(class_id: int):
    """One of the teacher's classes with its members in order."""
    return jsonify(store.get_class(get_db(), _owner(), class_id))


@bp.delete("/api/classes/<int:class_id>")
@login_required("teacher", "admin")
def delete_class(class_id: int):
    """Delete a class and its members (their secret locks and throttles too)."""
    gone = [m["id"] for m in store.members(get_db(), class_id)] if isinstance(class_id, int) else []
    removed = store.delete_class(get_db(), _owner(), class_id)
    forget_members(gone)
    return jsonify({"removed_members": removed})


def forget_members(member_ids: list[str]) -> None:
    """Erased members' wrong secrets, locks and throttles, on every worker (docs/privacy.md)."""
    classroom = current_app.extensions.get("classroom")
    if classroom is not None and classroom.tap is not None:
        classroom.tap.forget_members(member_ids)


@bp.put("/api/classes/<int:class_id>/archive")
@login_required("teacher", "admin")
def archive(class_id: int):
    """Archive the class by hand {archived: true} (read-only, no new session) or restore it {archived: false}."""
    body = _json()
    archived = body.get("archived") if isinstance(body, dict) else None
    return jsonify(store.set_archived(get_db(), _owner(), class_id, archived))


def _entries(raw: object) -> list[dict]:
    if isinstance(raw, dict):
        raw = raw.get("members")
    if not isinstance(raw, list) or not all(isinstance(e, (dict, str)) for e in raw):
        raise ClassesError("malformed")
    return [{"name": e} if isinstance(e, str) else e for e in raw]


def _notes(plan: ImportPlan | None) -> list[dict]:
    if plan is None:
        return []
    return [{"line": n.line, "code": n.code, "name": n.name, "other": n.other,
             "message": gettext(NOTE_MESSAGES[n.code], line=n.line, name=n.name, other=n.other)}
            for n in plan.notes]


@bp.post("/api/classes/<int:class_id>/members")
@login_required("teacher", "admin")
def add_members(class_id: int):
    """Add members from a CSV (upload field `file`, or a text/csv body) or a JSON list; all or none."""
    db, plan = get_db(), None
    upload = request.files.get("file")
    if upload is not None or request.mimetype in ("text/csv", "text/plain"):
        data = upload.read() if upload is not None else request.get_data()
        added, plan = import_csv(db, _owner(), class_id, data)
    else:
        added = store.add_members(db, _owner(), class_id, _entries(_json()))
    return jsonify({"added": added, "notes": _notes(plan), "class": store.get_class(db, _owner(), class_id)}), 201


@bp.patch("/api/classes/<int:class_id>/members/<member_id>")
@login_required("teacher", "admin")
def update_member(class_id: int, member_id: str):
    """Rename a member or change its picture {name?, picture?}."""
    body = _json()
    if not isinstance(body, dict):
        raise ClassesError("malformed")
    return jsonify(store.update_member(get_db(), _owner(), class_id, member_id[:64],
                                       body.get("name"), body.get("picture")))


@bp.delete("/api/classes/<int:class_id>/members/<member_id>")
@login_required("teacher", "admin")
def remove_member(class_id: int, member_id: str):
    """Remove a member from the class."""
    store.remove_member(get_db(), _owner(), class_id, member_id[:64])
    forget_members([member_id[:64]])
    return jsonify({"removed": member_id[:64]})


@bp.put("/api/classes/<int:class_id>/order")
@login_required("teacher", "admin")
def reorder(class_id: int):
    """Put the members in order {members: [id, ...]} (every member once)."""
    body = _json()
    order = body.get("members") if isinstance(body, dict) else body
    return jsonify({"members": store.reorder_members(get_db(), _owner(), class_id, order)})


@bp.get("/api/pictograms")
@login_required("teacher", "admin")
def list_pictograms():
    """The pictures a member may have: id, label (translated), URL."""
    return jsonify({"pictograms": [{"id": p, "label": gettext(pictograms.label(p)), "url": pictograms.url(p)}
                                   for p in pictograms.PICTURE_IDS]})


@bp.get("/pictograms/<picture>-<version>.svg")
def pictogram(picture: str, version: str) -> Response:
    """A bundled pictogram, cached for good (its hash is in the URL); an old hash redirects."""
    if not pictograms.is_picture(picture):
        abort(404)
    if version != pictograms.version(picture):
        return redirect(pictograms.url(picture))
    response = Response(pictograms.svg(picture), mimetype="image/svg+xml")
    response.set_etag(version)
    response.make_conditional(request)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
