"""Progress exports: CSV a French Excel or LibreOffice opens right (UTF-8 BOM, `;`), per class and per pupil."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess

import pytest

from classbox.auth.users import find_user
from classbox.classes import store as classes
from tests.classes.continuity import run_session
from tests.helpers import require_apt

QUESTIONS = ["Couleur de l'herbe ?", "Couleur d'une feuille ?", "Couleur d'un sapin ?"]


@pytest.fixture
def year(db, teacher, teacher_id):
    """CE1: Léa (right), "=1+2" (a name a spreadsheet would run), Zoé (never came); two sessions."""
    me = find_user(db, teacher[0])
    klass = classes.create_class(db, teacher_id, "CE1", ["CE1"])
    lea, hostile, zoe = classes.add_members(db, teacher_id, klass["id"], [
        {"name": "Léa"}, {"name": "=1+2"}, {"name": "Zoé"}])
    names = {m["id"]: m["name"] for m in (lea, hostile, zoe)}
    run_session(db, me, klass["id"], "Lundi", QUESTIONS, {lea["id"]: [1, 1, 0], hostile["id"]: [0, 2, 0]}, names)
    run_session(db, me, klass["id"], "Jeudi", QUESTIONS, {lea["id"]: [1, 1, 1], hostile["id"]: [0, None, 1]}, names,
                handin={lea["id"]: "@SUM(1;2) et ;=3+4"})
    return {"class": klass, "lea": lea, "hostile": hostile, "zoe": zoe}


def rows_of(response) -> list[list[str]]:
    raw = response.get_data()
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert raw.startswith("\ufeff".encode()) and raw.count(b"\r\n") == raw.count(b"\n")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_class_summary_has_one_line_per_pupil(client, teacher, login, year):
    login(teacher)
    rows = rows_of(client.get(f"/teacher/classes/{year['class']['id']}/progress.csv"))
    header, *lines = rows
    assert header[:5] == ["eleve", "seances", "reponses_notees", "justes", "reussite_pct"]
    by_name = {line[0]: dict(zip(header, line)) for line in lines}
    assert set(by_name) == {"Léa", "'=1+2", "Zoé"}, "the formula-like name is neutralised"
    assert (by_name["Léa"]["justes"], by_name["Léa"]["reponses_notees"], by_name["Léa"]["reussite_pct"]) == \
        ("5", "6", "83")
    assert by_name["'=1+2"]["a_aider"] == "oui" and by_name["Léa"]["a_aider"] == "non"
    assert by_name["Zoé"]["seances"] == "0" and by_name["Zoé"]["reussite_pct"] == ""


def test_the_class_answers_say_who_answered_what(client, teacher, login, year):
    login(teacher)
    header, *lines = rows_of(client.get(f"/teacher/classes/{year['class']['id']}/progress.csv?detail=answers"))
    assert header[:9] == ["date", "seance", "code", "lecon", "eleve", "type", "question", "reponse", "resultat"]
    assert len(lines) == 3 + 3 + 3 + 2 + 1  # Léa 3 + 3 + a hand-in, "=1+2" 3 + 2
    lea_sapin = [line for line in lines if line[4] == "Léa" and line[6] == "Couleur d'un sapin ?"]
    assert [(line[1], line[7], line[8]) for line in lea_sapin] == [("Lundi", "rouge", "faux"), ("Jeudi", "vert", "juste")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", lines[0][0])
    handin = next(line for line in lines if line[5] == "handin")
    assert (handin[7], handin[8]) == ("'@SUM(1;2) et ;'=3+4", "remis"), "no piece of a cell starts a formula"


def test_a_pupils_answers_include_what_they_did_not_answer_and_nobody_else(client, teacher, login, year):
    login(teacher)
    base = f"/teacher/classes/{year['class']['id']}/members"
    header, *lines = rows_of(client.get(f"{base}/{year['hostile']['id']}/progress.csv"))
    assert {line[4] for line in lines} == {"'=1+2"}
    assert [line[8] for line in lines if line[1] == "Jeudi"] == ["faux", "sans réponse", "juste", "sans réponse"]
    _, *absent = rows_of(client.get(f"{base}/{year['zoe']['id']}/progress.csv"))
    assert absent == []


def _libreoffice(soffice: str, path, home) -> str:
    """Open `path` in LibreOffice Calc as a French user does (`;`, the charset left to detect): the sheet as XML."""
    out = path.parent / "out"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{home}", "--infilter=CSV:59,34,0,1",
                    "--convert-to", "fods", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(home)})
    return (out / (path.stem + ".fods")).read_text(encoding="utf-8")


@pytest.mark.peer
@pytest.mark.parametrize("detail", ["", "?detail=answers"])
def test_libreoffice_opens_the_class_exports_right(client, teacher, login, year, tmp_path, detail):
    soffice = require_apt("soffice", "libreoffice-calc-nogui")
    login(teacher)
    path = tmp_path / "suivi.csv"
    path.write_bytes(client.get(f"/teacher/classes/{year['class']['id']}/progress.csv{detail}").get_data())
    xml = _libreoffice(soffice, path, tmp_path / "lo")
    rows = re.findall(r"<table:table-row.*?</table:table-row>", xml, re.S)
    cells = [re.findall(r"<text:p>([^<]*)</text:p>", row) for row in rows]
    assert cells[0][:3] == (["eleve", "seances", "reponses_notees"] if not detail else ["date", "seance", "code"])
    assert any("Léa" in row for row in cells) and not any("Ã" in cell for row in cells for cell in row)
    assert re.findall(r'table:formula="([^"]*)"', xml) == [], "nothing is run as a formula"
    if not detail:
        lea = next(row for row in rows if "<text:p>Léa</text:p>" in row)
        assert 'office:value-type="float" office:value="83"' in lea, "the rate is a number a teacher can sort"
