"""Results CSV: no cell a spreadsheet could split or evaluate becomes a formula, in ',' or the French ';' export."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess

import pytest

from classbox.classroom import results
from tests.classroom.conftest import ack, new_id
from tests.helpers import require_apt

HOSTILE_NAMES = ["z;=4+5;", "=1+2", "x,+3+4", "t\t-5+6", "w; =9+1", "k|@SUM(1,2)", "ligne\n=2+2", "m;-7+8"]
HOSTILE_ANSWERS = ["a;=2+3;b", "b,=3*3", "c\t@SUM(4,4)", "d;+5+5", "e\r\n=6+6", "f;\"=HYPERLINK(1)\""]
TRIGGER_AFTER_SPLIT = re.compile(r"(^|[,;\t|\r\n])[\s\"]*[=+\-@]")


@pytest.mark.parametrize("text", HOSTILE_NAMES + HOSTILE_ANSWERS)
def test_no_piece_of_a_cell_starts_like_a_formula(text):
    assert not TRIGGER_AFTER_SPLIT.search(results.neutral_cell(text))


@pytest.mark.parametrize("text", ["Léa", "3", "l'eau s'évapore", "a-b", "2+2=4", "", "réponse ; suite"])
def test_ordinary_text_is_unchanged(text):
    assert results.neutral_cell(text) == text


@pytest.fixture
def hostile_session(teacher_sio, pupil, client):
    """A session whose pupils chose hostile names and typed hostile answers."""
    teacher, code = teacher_sio
    activity = ack(teacher, "push", {"type": "quiz", "kind": "text", "question": "Combien ?"})["activity"]
    for number, name in enumerate(HOSTILE_NAMES):  # names: the join keeps ; , = + - @ | (not quotes, tabs)
        sio, joined = pupil(code, name)
        assert joined["ok"], joined
        answer = HOSTILE_ANSWERS[number % len(HOSTILE_ANSWERS)]
        assert ack(sio, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": answer})["ok"]
    return code


def test_the_french_export_is_what_a_french_excel_opens(client, hostile_session):
    response = client.get(f"/api/sessions/{hostile_session}/results?format=csv&sep=semicolon")
    raw = response.get_data()
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw and raw.count(b"\r\n") == raw.count(b"\n")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][:3] == ["seq", "eleve", "activite"] and len(rows) == len(HOSTILE_NAMES) + 1
    assert "fr" in response.headers["Content-Disposition"]


def test_an_unknown_separator_is_refused(client, hostile_session):
    assert client.get(f"/api/sessions/{hostile_session}/results?format=csv&sep=pipe").status_code == 400


def _libreoffice_cells(soffice: str, path, separator: int, home) -> tuple[list[str], list[str]]:
    """Open `path` with LibreOffice Calc (headless) as CSV split on `separator`: (formulas, cell texts)."""
    out = path.parent / f"out-{separator}"
    options = f"CSV:{separator},34,76,1,,0,false,true,false,false,false,-1,true"  # 13th token: evaluate formulas
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{home}", f"--infilter={options}",
                    "--convert-to", "fods", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(home)})
    xml = (out / (path.stem + ".fods")).read_text(encoding="utf-8")
    return re.findall(r'table:formula="([^"]*)"', xml), re.findall(r"<text:p>([^<]*)</text:p>", xml)


@pytest.mark.peer
@pytest.mark.parametrize("export", ["comma", "semicolon"])
def test_libreoffice_evaluates_nothing_whatever_separator_it_uses(client, hostile_session, tmp_path, export):
    soffice = require_apt("soffice", "libreoffice-calc-nogui")
    path = tmp_path / f"resultats-{export}.csv"
    path.write_bytes(client.get(f"/api/sessions/{hostile_session}/results?format=csv&sep={export}").get_data())
    for separator in (44, 59, 9):  # ',', ';' (the French default), tab
        formulas, texts = _libreoffice_cells(soffice, path, separator, tmp_path / "lo")
        assert formulas == [], f"separator {chr(separator)!r}: {formulas}"
        assert any("4+5" in text for text in texts)  # the hostile text is there, as text
