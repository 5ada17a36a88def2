"""Pages and HTTP endpoints: pupil home and join page, teacher dashboard, exports, hand-in uploads."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request,
                   send_file, url_for)

from classbox.auth import current_user, login_required
from classbox.classroom import handin_disk, handins, store
from classbox.classroom.codes import normalize_code
from classbox.classroom.errors import ClassroomError
from classbox.classroom.events import NS, teacher_room
from classbox.classroom.results import SEPARATORS, bar_chart_svg, results_csv, session_results, tally
from classbox.extensions import csrf, socketio
from classbox.runtime.offload import off_loop
from classbox.storage import get_db
from classbox.web.links import join_url, qr_svg

bp = Blueprint("classroom", __name__)
log = logging.getLogger("classbox.classroom")


def svc():
    return current_app.extensions["classroom"]


@bp.route("/")
def home():
    """Pupil home: join a class with a code, or browse the library."""
    return render_template("classroom/home.html")


@bp.route("/join")
def join_form():
    """The home form's target: /join?code=abc234 → /join/ABC234."""
    code = normalize_code(request.args.get("code", ""))
    if code is None:
        return render_template("classroom/home.html", error=ClassroomError("unknown_code").message), 404
    return redirect(url_for("classroom.join", code=code))


@bp.route("/join/<code>")
def join(code: str):
    """The pupil page of one session (join with a first name, then follow the teacher)."""
    if not svc().join_page_limit.allow(str(request.remote_addr)):  # codes are not to be guessed
        return render_template("classroom/home.html", error=ClassroomError("rate_limited").message), 429
    canonical = normalize_code(code)
    session = store.find_session(get_db(), canonical) if canonical else None
    if session is None:
        return render_template("classroom/home.html", error=ClassroomError("unknown_code").message), 404
    if session["state"] != "open":
        return render_template("classroom/home.html", error=ClassroomError("closed").message), 410
    if canonical != code:
        return redirect(url_for("classroom.join", code=canonical))
    members = svc().tap.page(get_db(), session) if svc().tap is not None else None
    return render_template("classroom/pupil.html", session=session, members=members,
                           pad=svc().tap.pad() if members and members["secret"] else [],
                           max_handin_mb=current_app.config["CLASSBOX"]["classroom"]["max_handin_mb"])


@bp.route("/teacher")
@login_required("teacher", "admin")
def teacher():
    """The teacher's dashboard: open a session, or go back to one."""
    return render_template("classroom/teacher.html", sessions=store.teacher_sessions(get_db(), current_user()["id"]))


def _own_session(code: str) -> dict:
    canonical = normalize_code(code)
    session = store.find_session(get_db(), canonical) if canonical else None
    if session is None:
        abort(404)
    if session["teacher_id"] != current_user()["id"]:
        abort(403)
    return session


@bp.route("/teacher/sessions/<code>")
@login_required("teacher", "admin")
def session_page(code: str):
    """The live dashboard of one session."""
    session = _own_session(code)
    return render_template("classroom/session.html", session=session, join_url=join_url(session["code"]))


@bp.route("/teacher/sessions/<code>/projector")
@login_required("teacher", "admin")
def projector(code: str):
    """Large view for the projector: join code, QR code, results without names."""
    session = _own_session(code)
    return render_template("classroom/projector.html", session=session, join_url=join_url(session["code"]))


@bp.route("/teacher/sessions/<code>/qr.svg")
@login_required("teacher", "admin")
def qr_code(code: str):
    """The join URL as a QR code (SVG)."""
    session = _own_session(code)
    return Response(qr_svg(join_url(session["code"]), inline=False), mimetype="image/svg+xml")


def _own_activity(code: str, activity_id: str, kind: str) -> tuple[dict, dict, list[dict]]:
    """(session, activity, its answers in arrival order) for the session's teacher; 404 unless the
    activity is of this session and of this type."""
    session = _own_session(code)
    svc().writer.settle()  # answers acked a moment ago are read too (storage/journal.py)
    db = get_db()
    activity = store.get_activity(db, activity_id)
    if activity is None or activity["session_id"] != session["id"] or activity["type"] != kind:
        abort(404)
    rows = [s for s in store.session_submissions(db, session["id"]) if s["activity_id"] == activity_id]
    return session, activity, rows


@bp.route("/teacher/sessions/<code>/activities/<activity_id>/chart.svg")
@login_required("teacher", "admin")
def chart(code: str, activity_id: str):
    """One question's results as a bar chart drawn on the box (no names)."""
    _, activity, rows = _own_activity(code, activity_id, "quiz")
    return Response(bar_chart_svg(activity["spec"]["question"], tally(activity, rows).get("bars", [])),
                    mimetype="image/svg+xml")


@bp.route("/teacher/sessions/<code>/activities/<activity_id>/handins.zip")
@login_required("teacher", "admin")
def handins_zip(code: str, activity_id: str):
    """Every hand-in of one activity in a ZIP ("<pupil> - <file>"), built off the event loop in an
    anonymous temp file (gone when sent, even after a crash)."""
    session, _, rows = _own_activity(code, activity_id, "handin")
    data_dir = Path(current_app.config["CLASSBOX"].data_dir)
    out = tempfile.TemporaryFile(dir=data_dir / "tmp")  # the data dir's tmp/ is made at start
    try:
        off_loop(handins.write_zip, out, data_dir, rows)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    pushed = [a["id"] for a in store.session_activities(get_db(), session["id"])]
    number = pushed.index(activity_id) + 1
    return send_file(out, mimetype="application/zip", as_attachment=True,
                     download_name=f"travaux-{session['code']}-{number}.zip")


@bp.route("/api/sessions/<code>/results")
@login_required("teacher", "admin")
def results(code: str):
    """A session's results as JSON, or CSV with ?format=csv (&sep=semicolon: what a French Excel opens)."""
    session = _own_session(code)
    svc().writer.settle()  # answers acked a moment ago are exported too (storage/journal.py)
    db = get_db()
    document = session_results(session, store.session_pupils(db, session["id"]),
                               store.session_activities(db, session["id"]),
                               store.session_submissions(db, session["id"]))
    if request.args.get("format") == "csv":
        sep = request.args.get("sep", "comma")
        if sep not in SEPARATORS:
            abort(400, "sep must be comma or semicolon")
        name = f"resultats-{session['code']}{'-fr' if sep == 'semicolon' else ''}.csv"
        return Response("\ufeff" + results_csv(document, SEPARATORS[sep]), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return jsonify(document)


@bp.route("/teacher/handins/<submission_id>")
@login_required("teacher", "admin")
def handin_file(submission_id: str):
    """A pupil's handed-in file, for its teacher only."""
    row = store.get_submission(get_db(), submission_id[:64])
    if row is None or not row["file_path"]:
        abort(404)
    session = store.get_session(get_db(), row["session_id"])
    if session["teacher_id"] != current_user()["id"]:
        abort(403)
    path = Path(current_app.config["CLASSBOX"].data_dir) / row["file_path"]
    response = send_file(path, mimetype=row["file_mime"], as_attachment=not row["file_mime"].startswith("image/"),
                         download_name=handin_download_name(row))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def handin_download_name(row: dict) -> str:
    """"<pupil> - <name handed in>.<ext>": a teacher's downloads folder tells whose work is whose."""
    pupil = store.get_pupil(get_db(), row["pupil_id"])
    return handins.teacher_file_name(pupil["name"] if pupil else "", row).lstrip(" -")


@bp.route("/api/classroom/handin", methods=["POST"])
@csrf.exempt  # no cookie here: the signed device token in the form is the credential
def handin_upload():
    """A photo or file handed in by a pupil; 200 only once it is durable on disk and in the database."""
    session_id = None
    try:
        session_id, pupil_id = svc().pupil_from_token(request.form.get("token"))
        if not svc().submit_limit.allow(pupil_id):
            raise ClassroomError("rate_limited")
        upload = request.files.get("file")
        kind = request.form.get("kind", "file")
        if upload is None:
            raise ClassroomError("malformed", "file missing")
        data = upload.stream.read(svc().max_handin_bytes + 1)
        if len(data) > svc().max_handin_bytes:
            raise ClassroomError("file_too_large")
        nonce = _token_nonce(request.form.get("token"))
        ack = svc().submit(session_id, pupil_id, {"activity_id": request.form.get("activity_id"),
                                                  "submission_id": request.form.get("submission_id")},
                           file={"data": data, "kind": kind, "filename": upload.filename}, nonce=nonce)
    except ClassroomError as err:
        status = {"bad_token": 401, "removed": 401, "rate_limited": 429, "file_too_large": 413,
                  "file_type": 415, "closed": 410, "unknown_activity": 404, "storage": 507,
                  "storage_full": 507}.get(err.code, 400)
        if err.code in ("storage", "storage_full"):
            log.warning("hand-in refused, the box's disk: %s %s", err.code, err.detail)
            tell_teachers_about_storage(session_id)
        return jsonify(err.as_ack()), status
    if not ack["duplicate"]:
        svc().feed.add(session_id, ack["record"])
    return jsonify({"ok": True, "submission_id": ack["submission_id"], "duplicate": ack["duplicate"]})


def tell_teachers_about_storage(session_id: int | None) -> None:
    """A hand-in was refused for lack of disk space: the session's dashboards get `storage`."""
    if session_id is not None:
        socketio.emit("storage", handin_disk.state(svc().data_dir, svc().settings["handin_min_free_mb"]),
                      to=teacher_room(session_id), namespace=NS)


def _token_nonce(token: str | None) -> str:
    from classbox.classroom.tokens import read_token

    return read_token(svc().secret_key, token)["n"]
