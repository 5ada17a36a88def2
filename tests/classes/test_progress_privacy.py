"""RGPD for continuity: a member's work across sessions in `privacy export|erase`, and erased with its class."""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import pytest

from classbox.auth.users import find_user
from classbox.classes import store as classes
from classbox.classes.privacy import purge_expired
from classbox.classroom.privacy import purge_closed
from classbox.cli import cli
from tests.classes.continuity import run_session

QUESTIONS = ["Couleur de l'herbe ?", "Couleur d'un sapin ?"]


@pytest.fixture
def year(db, config, teacher, teacher_id):
    """A class of last year (Léa, Hugo) with two sessions, Léa's hand-in a file; a class of this year; a free session."""
    me = find_user(db, teacher[0])
    old = classes.create_class(db, teacher_id, "CP 2025", ["CP"], today=datetime.date(2025, 9, 2))
    new = classes.create_class(db, teacher_id, "CE1 2026", ["CE1"], today=datetime.date(2026, 9, 1))
    lea, hugo = classes.add_members(db, teacher_id, old["id"], [{"name": "Léa"}, {"name": "Hugo"}])
    nina, = classes.add_members(db, teacher_id, new["id"], [{"name": "Nina"}])
    names = {lea["id"]: "Léa", hugo["id"]: "Hugo", nina["id"]: "Nina"}
    monday = run_session(db, me, old["id"], "Lundi", QUESTIONS, {lea["id"]: [1, 0], hugo["id"]: [0, 0]}, names)
    thursday = run_session(db, me, old["id"], "Jeudi", QUESTIONS, {lea["id"]: [1, 1], hugo["id"]: [1, 1]}, names,
                           handin={lea["id"]: "mon dessin"})
    this_year = run_session(db, me, new["id"], "Rentrée", QUESTIONS, {nina["id"]: [1, 1]}, names)
    free = run_session(db, me, None, "Sans classe", QUESTIONS, {lea["id"]: [0, 0]}, {lea["id"]: "Léa"})
    pupil = thursday["pupils"][lea["id"]]
    relative = f"handins/{thursday['id']}/{pupil['id']}/dessin.png"
    handin_file = Path(config.data_dir) / relative
    handin_file.parent.mkdir(parents=True)
    handin_file.write_bytes(b"\x89PNG fake")
    with db.conn:
        db.execute("UPDATE classroom_submissions SET file_path = ?, file_mime = 'image/png' WHERE pupil_id = ? "
                   "AND file_path IS NULL AND answer LIKE '%dessin%'", [relative, pupil["id"]])
    return {"old": old, "new": new, "lea": lea, "hugo": hugo, "nina": nina, "monday": monday, "thursday": thursday,
            "this_year": this_year, "free": free, "file": handin_file}


def count(db, sql: str, params=()) -> int:
    return db.execute(sql, list(params)).fetchone()[0]


def member_rows(db, member_id: str) -> tuple[int, int]:
    """(pupil rows, submissions) of a member across sessions."""
    return (count(db, "SELECT COUNT(*) FROM classroom_pupils WHERE member_id = ?", [member_id]),
            count(db, "SELECT COUNT(*) FROM classroom_submissions s JOIN classroom_pupils p ON p.id = s.pupil_id "
                      "WHERE p.member_id = ?", [member_id]))


def test_the_export_of_a_member_holds_their_work_in_every_session(runner, config, year):
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "privacy", "export", "--pupil", year["lea"]["id"]])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)["features"]["classes"]
    sessions = exported["continuity"]
    assert sorted(s["session"]["title"] for s in sessions) == ["Jeudi", "Lundi"]
    thursday = next(s for s in sessions if s["session"]["title"] == "Jeudi")
    answers = thursday["features"]["classroom"]["submissions"]
    assert len(answers) == 3 and {"text": "mon dessin"} in [a["answer"] for a in answers]
    assert "Hugo" not in result.output and "Nina" not in result.output


def test_erasing_a_member_erases_their_work_in_every_session_and_nobody_elses(runner, config, db, year):
    before_hugo = member_rows(db, year["hugo"]["id"])
    assert member_rows(db, year["lea"]["id"]) == (2, 5) and year["file"].exists()
    outbox = count(db, "SELECT COUNT(*) FROM outbox WHERE pupil_id IN (SELECT id FROM classroom_pupils "
                       "WHERE member_id = ?)", [year["lea"]["id"]])
    assert outbox > 0, "her answers were queued for the ENT"
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "privacy", "erase", "--pupil",
                                 year["lea"]["id"], "--yes"])
    assert result.exit_code == 0, result.output
    assert member_rows(db, year["lea"]["id"]) == (0, 0) and not year["file"].exists()
    assert count(db, "SELECT COUNT(*) FROM outbox WHERE pupil_id IN (?, ?)",
                 [year["monday"]["pupils"][year["lea"]["id"]]["id"], year["thursday"]["pupils"][year["lea"]["id"]]["id"]]) == 0
    assert member_rows(db, year["hugo"]["id"]) == before_hugo
    assert count(db, "SELECT COUNT(*) FROM class_members WHERE id = ?", [year["lea"]["id"]]) == 0


def test_a_class_past_its_end_of_year_takes_its_sessions_with_it(db, year):
    sessions = lambda: {r[0] for r in db.execute("SELECT title FROM classroom_sessions")}  # noqa: E731
    assert purge_expired(db, datetime.date(2026, 8, 31)) == (0, 0)
    assert sessions() == {"Lundi", "Jeudi", "Rentrée", "Sans classe"}
    assert purge_expired(db, datetime.date(2026, 9, 1)) == (1, 2)
    assert sessions() == {"Rentrée", "Sans classe"}
    assert member_rows(db, year["lea"]["id"]) == (0, 0) and member_rows(db, year["hugo"]["id"]) == (0, 0)
    assert not year["file"].exists() and not year["file"].parent.parent.exists()
    assert member_rows(db, year["nina"]["id"]) == (1, 2)
    assert count(db, "SELECT COUNT(*) FROM classroom_activities WHERE session_id IN (?, ?)",
                 [year["monday"]["id"], year["thursday"]["id"]]) == 0


def test_a_class_keeps_its_closed_sessions_past_the_session_retention_until_its_year_ends(db, year):
    in_40_days = time.time() + 40 * 86400
    assert purge_closed(db, 30, now=in_40_days) == 1, "only the session without a class follows retention_days"
    titles = {r[0] for r in db.execute("SELECT title FROM classroom_sessions")}
    assert titles == {"Lundi", "Jeudi", "Rentrée"}
    classes.delete_class(db, find_user(db, "mme.martin")["id"], year["new"]["id"])
    assert purge_closed(db, 30, now=in_40_days) == 1, "a deleted class's sessions follow retention_days again"
    assert {r[0] for r in db.execute("SELECT title FROM classroom_sessions")} == {"Lundi", "Jeudi"}
