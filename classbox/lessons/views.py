"""The lessons API: /api/lessons (list, import), /api/lessons/<id> (read), /export (GIFT or JSON file)."""

from __future__ import annotations

import json
import unicodedata
from urllib.parse import quote

from flask import Blueprint, Response, abort, jsonify, request
from flask_babel import gettext

from classbox.auth.decorators import current_user, login_required
from classbox.lessons.edits import (LessonConflict, LessonNotFound, LessonReadOnly, copy_title, delete_lesson,
                                    duplicate_lesson, update_lesson)
from classbox.lessons.giftexport import export_gift
from classbox.lessons.importer import import_lessons, title_from_filename
from classbox.lessons.lessonjson import export_json
from classbox.lessons.steps import LessonError, validate_steps, validate_title
from classbox.lessons.store import get_lesson, list_lessons, mark_missing_resources
from classbox.runtime.offload import off_loop
from classbox.storage import get_db
from classbox.web.i18n_marks import N_

bp = Blueprint("lessons", __name__)
TEACHERS = ("teacher", "admin")


@bp.get("/api/lessons")
@login_required(*TEACHERS)
def index():
    """The user's own lessons and the packs' lessons (never another teacher's)."""
    return jsonify({"lessons": list_lessons(get_db(), current_user())})


@bp.get("/api/lessons/<int:lesson_id>")
@login_required(*TEACHERS)
def show(lesson_id: int):
    """One lesson with its steps (correct answers included: teachers only); a resource step whose
    library resource was removed says so (`missing: true`)."""
    found = get_lesson(get_db(), lesson_id, current_user())
    if found is None:
        abort(404)
    return jsonify({**found, "steps": mark_missing_resources(get_db(), found["steps"])})


@bp.post("/api/lessons")
@login_required(*TEACHERS)
def create():
    """Import lessons from a JSON body (classbox-lesson/1) or an uploaded GIFT/JSON `file`; CSRF-checked."""
    upload = request.files.get("file")
    if upload is not None:
        data, default_title = upload.read(), title_from_filename(upload.filename)
    elif request.is_json:
        data, default_title = request.get_data(), title_from_filename(None)
    else:
        return jsonify(LessonError("send classbox-lesson/1 JSON or a multipart `file`",
                                   shown=N_("envoyez du JSON classbox-lesson/1 ou un fichier (champ file)"))
                       .as_dict(gettext)), 400
    user = current_user()
    owner = {"id": user["id"], "login": user["login"]}
    try:
        result = off_loop(import_lessons, get_db(), data, owner, default_title)
    except LessonError as err:
        return jsonify(err.as_dict(gettext)), 400
    return jsonify({
        "format": result.format,
        "lessons": [{"id": i, "title": lesson.title, "steps": len(lesson.steps)}
                    for i, lesson in zip(result.ids, result.lessons)],
        "skipped": [{"line": s.line, "title": s.title, "reason": s.reason, "message": s.shown_in(gettext)}
                    for s in result.skipped],
    }), 201


def refused(err: LessonError):
    """The JSON answer for a refused change: 404, 403 (a pack's lesson), 409 (stale version) or 400."""
    if isinstance(err, LessonNotFound):
        return jsonify({"error": "not_found", "message": err.shown_in(gettext)}), 404
    if isinstance(err, LessonReadOnly):
        return jsonify({"error": "read_only", "message": err.shown_in(gettext), "detail": str(err)}), 403
    if isinstance(err, LessonConflict):
        return jsonify({"error": "stale_version", "version": err.current, "message": err.shown_in(gettext),
                        "detail": str(err)}), 409
    return jsonify(err.as_dict(gettext)), 400


@bp.put("/api/lessons/<int:lesson_id>")
@login_required(*TEACHERS)
def update(lesson_id: int):
    """Replace a lesson's title and steps: {title, steps, version}; a stale `version` is refused (409)."""
    body = request.get_json(silent=True)
    try:
        if not isinstance(body, dict):
            raise LessonError("a JSON object {title, steps, version} expected",
                              shown=N_("un objet JSON {title, steps, version} attendu"))
        version = body.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise LessonError("the version you read is needed", field="version",
                              shown=N_("la version lue est nécessaire"))
        title, steps = validate_title(body.get("title")), validate_steps(body.get("steps"))
        new_version = update_lesson(get_db(), lesson_id, current_user(), title, steps, version)
    except LessonError as err:
        return refused(err)
    return jsonify({"id": lesson_id, "version": new_version})


@bp.delete("/api/lessons/<int:lesson_id>")
@login_required(*TEACHERS)
def delete(lesson_id: int):
    """Delete one of the teacher's lessons (a pack's: 403)."""
    try:
        delete_lesson(get_db(), lesson_id, current_user())
    except LessonError as err:
        return refused(err)
    return "", 204


@bp.post("/api/lessons/<int:lesson_id>/duplicate")
@login_required(*TEACHERS)
def duplicate(lesson_id: int):
    """Copy a lesson (the teacher's own or a pack's) as a new lesson of the teacher's."""
    found = get_lesson(get_db(), lesson_id, current_user())
    if found is None:
        return refused(LessonNotFound())
    new_id = duplicate_lesson(get_db(), lesson_id, current_user(), copy_title(found["title"], gettext))
    return jsonify({"id": new_id}), 201


@bp.get("/api/lessons/<int:lesson_id>/export")
@login_required(*TEACHERS)
def export(lesson_id: int):
    """The lesson as a file to download: ?format=gift (Moodle) or json (classbox-lesson/1, the default)."""
    fmt = request.args.get("format", "json")
    if fmt not in ("gift", "json"):
        abort(400, "format: gift or json")
    found = get_lesson(get_db(), lesson_id, current_user())
    if found is None:
        abort(404)
    if fmt == "gift":
        response = Response(export_gift([found]), mimetype="text/plain; charset=utf-8")
    else:
        body = json.dumps(export_json([found]), ensure_ascii=False, indent=2)
        response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = attachment(found["title"], fmt)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def attachment(title: str, suffix: str) -> str:
    """A Content-Disposition naming the file after the lesson: ASCII fallback, then UTF-8 (RFC 6266)."""
    name = "".join(c if c.isalnum() or c in " -_." else "_" for c in title).strip(" .") or "lesson"
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").strip() or "lesson"
    return f"attachment; filename=\"{plain}.{suffix}\"; filename*=UTF-8''{quote(name)}.{suffix}"
