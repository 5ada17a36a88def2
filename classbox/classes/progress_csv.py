"""Progress exports as CSV a French Excel or LibreOffice opens right: UTF-8 with a BOM, `;`, CRLF.

Column names are fixed (French, without accents) whatever the page's language, like the
session results export; no cell can be run as a formula (classroom.results.neutral_cell).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Any, Iterable

from flask_babel import format_date

from classbox.classes import continuity, progress
from classbox.classes.progress import MemberProgress
from classbox.classroom.results import neutral_cell

BOM = "\ufeff"
SUMMARY_COLUMNS = ["eleve", "seances", "reponses_notees", "justes", "reussite_pct", "dernieres_notees",
                   "dernieres_justes", "dernieres_pct", "tendance", "travaux_remis", "a_aider"]
ANSWER_COLUMNS = ["date", "seance", "code", "lecon", "eleve", "type", "question", "reponse", "resultat",
                  "fichier", "submission_id"]
TRENDS = {"up": "en progrès", "down": "en baisse", "steady": "stable", None: ""}


def day(epoch: float | None) -> str:
    """A session's day (YYYY-MM-DD, in the box's time zone); "" when its clock was unknown."""
    if not isinstance(epoch, (int, float)) or epoch <= 0:
        return ""
    return format_date(datetime.fromtimestamp(epoch, timezone.utc), "yyyy-MM-dd")


def _write(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutral_cell(v) for v in row])
    return BOM + out.getvalue()


def summary_csv(members: list[MemberProgress]) -> str:
    """One line per member: sessions, graded answers, right ones, last ones, trend, hand-ins, needs help."""
    return _write(SUMMARY_COLUMNS, ([
        m.member["name"], len(m.attended), m.total.graded, m.total.right, _pct(m.total), m.recent.graded,
        m.recent.right, _pct(m.recent), TRENDS[m.trend], m.total.handins, "oui" if m.needs_help else "non"]
        for m in members))


def _pct(score) -> str:
    value = progress.percent(score)
    return "" if value is None else str(value)


def _result(activity: dict, submission: dict | None) -> str:
    if submission is None:
        return "sans réponse"
    if activity["type"] == "handin":
        return "remis"
    return {1: "juste", 0: "faux"}.get(submission["correct"], "non noté")


def answer_rows(sessions: list[dict], activities: dict[str, dict], submissions: list[dict],
                names: dict[str, str]) -> Iterable[list[Any]]:
    """One row per (member, activity) answered: who answered what, when, and whether it was right."""
    by_id = {s["id"]: s for s in sessions}
    for sub in submissions:
        activity, name = activities.get(sub["activity_id"]), names.get(sub["member_id"])
        session = by_id.get(sub["session_id"])
        if activity is None or name is None or session is None:
            continue
        yield _answer_row(session, activity, sub, name)


def _answer_row(session: dict, activity: dict, sub: dict | None, name: str) -> list[Any]:
    spec = activity["spec"]
    return [day(session["created_wall"]), session["title"], session["code"], continuity.lesson_title(spec), name,
            activity["type"], spec.get("question") or spec.get("instructions") or "",
            continuity.answer_text(activity, sub["answer"]) if sub else "", _result(activity, sub),
            (sub["file_mime"] or "") if sub else "", sub["id"] if sub else ""]


def class_answers_csv(sessions: list[dict], activities: dict[str, dict], submissions: list[dict],
                      names: dict[str, str]) -> str:
    """Every member's latest answer to every activity of the class."""
    return _write(ANSWER_COLUMNS, answer_rows(sessions, activities, submissions, names))


def member_answers_csv(report: dict) -> str:
    """A member's answers session by session, unanswered questions included ("sans réponse")."""
    name = report["member"]["name"]
    return _write(ANSWER_COLUMNS, (_answer_row(session, item["activity"], item["submission"], name)
                                   for session in report["sessions"] for item in session["items"]))
