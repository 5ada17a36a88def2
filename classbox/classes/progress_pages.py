"""The class's teacher's progress pages: one per class and one per member, their CSV and a printable report."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext

from classbox.auth import current_user, login_required
from classbox.classes import continuity, pictograms, progress
from classbox.classes.progress_csv import class_answers_csv, member_answers_csv, summary_csv
from classbox.classes.progress_view import class_report, member_report
from classbox.classes.store import members as class_members
from classbox.storage import get_db
from classbox.web.i18n import N_

bp = Blueprint("classes_progress", __name__)
TREND_WORDS = {"up": N_("en progrès"), "down": N_("en baisse"), "steady": N_("stable"),
               None: N_("pas assez de réponses")}


def _class(class_id: int) -> tuple[dict, int]:
    """(the class with its members, its owner's id): 404 if it does not exist, 403 if it is not the viewer's."""
    db = get_db()
    rows = list(db.query("SELECT * FROM classes WHERE id = ?", [class_id]))
    if not rows:
        abort(404)
    owner = current_user()["id"]
    if rows[0]["owner_id"] != owner:
        abort(403)
    row = rows[0]
    return {"id": row["id"], "name": row["name"], "levels": row["levels"].split(","),
            "retain_until": row["retain_until"], "members": class_members(db, class_id)}, owner


def _member(klass: dict, member_id: str) -> dict:
    for member in klass["members"]:
        if member["id"] == member_id[:64]:
            return member
    abort(404)


def _helpers() -> dict:
    return {"percent": progress.percent, "trend_word": lambda t: gettext(TREND_WORDS[t]),
            "label": lambda p: gettext(pictograms.label(p)), "rule": progress}


def _csv(text: str, name: str) -> Response:
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@bp.get("/teacher/classes/<int:class_id>/progress")
@login_required("teacher", "admin")
def class_progress(class_id: int):
    """A class across its sessions: who needs help, each pupil's scores and trend, sessions, questions."""
    klass, owner = _class(class_id)
    return render_template("classes/progress_class.html", report=class_report(get_db(), klass, owner), **_helpers())


@bp.get("/teacher/classes/<int:class_id>/progress.csv")
@login_required("teacher", "admin")
def class_progress_csv(class_id: int):
    """The class's summary per pupil (default) or, with ?detail=answers, every pupil's answers."""
    klass, owner = _class(class_id)
    db = get_db()

    if request.args.get("detail") == "answers":
        names = {m["id"]: m["name"] for m in klass["members"]}
        text = class_answers_csv(continuity.sessions(db, class_id, owner), continuity.activities(db, class_id, owner),
                                 continuity.submissions(db, class_id, owner), names)
        return _csv(text, f"classe-{class_id}-reponses.csv")
    return _csv(summary_csv(class_report(db, klass, owner)["members"]), f"classe-{class_id}-suivi.csv")


@bp.get("/teacher/classes/<int:class_id>/members/<member_id>/progress")
@login_required("teacher", "admin")
def member_progress(class_id: int, member_id: str):
    """One pupil across the class's sessions: scores, trend, every answer and hand-in."""
    klass, owner = _class(class_id)
    report = member_report(get_db(), klass, _member(klass, member_id), owner)
    return render_template("classes/progress_member.html", report=report, show_all=request.args.get("all") == "1",
                           **_helpers())


@bp.get("/teacher/classes/<int:class_id>/members/<member_id>/progress.csv")
@login_required("teacher", "admin")
def member_progress_csv(class_id: int, member_id: str):
    """One pupil's answers, session by session."""
    klass, owner = _class(class_id)
    member = _member(klass, member_id)
    return _csv(member_answers_csv(member_report(get_db(), klass, member, owner)),
                f"classe-{class_id}-eleve-{member['position'] + 1}.csv")


@bp.get("/teacher/classes/<int:class_id>/members/<member_id>/report")
@login_required("teacher", "admin")
def member_print(class_id: int, member_id: str):
    """A printable page about one pupil for a meeting with their parents (no other pupil is named)."""
    klass, owner = _class(class_id)
    report = member_report(get_db(), klass, _member(klass, member_id), owner)
    return render_template("classes/progress_print.html", report=report, **_helpers())
