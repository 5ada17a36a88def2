"""The progress pages in Chromium: axe-clean at every size, printable without the other pupils, in French and English."""

from __future__ import annotations

import pytest

from classbox.auth.users import find_user
from classbox.classes import store as classes
from classbox.storage import open_database
from tests.classes.continuity import run_session
from tests.e2e.harness import SIZES

pytestmark = pytest.mark.peer
QUESTIONS = ["Combien font 2 + 2 ?", "Combien font 3 + 3 ?", "Combien font 4 + 4 ?"]


@pytest.fixture(scope="module")
def year(box) -> dict:
    """A class of the e2e teacher with two sessions (Hugo struggles, Léa hands in work), written in the box's database."""
    db = open_database(box.data_dir)
    try:
        me = find_user(db, box.teacher[0])
        klass = classes.create_class(db, me["id"], "CE1 e2e", ["CE1"])
        lea, hugo, zoe = classes.add_members(db, me["id"], klass["id"], [
            {"name": "Léa", "picture": "owl"}, {"name": "Hugo", "picture": "fox"}, {"name": "Zoé", "picture": "cat"}])
        names = {m["id"]: m["name"] for m in (lea, hugo, zoe)}
        run_session(db, me, klass["id"], "Lundi : additions", QUESTIONS,
                    {lea["id"]: [1, 1, 0], hugo["id"]: [0, 2, 0]}, names)
        run_session(db, me, klass["id"], "Jeudi : révisions", QUESTIONS,
                    {lea["id"]: [1, 1, 1], hugo["id"]: [0, None, 1], zoe["id"]: [1, 1, 1]}, names,
                    handin={lea["id"]: "Mon histoire"})
    finally:
        db.conn.close()
    base = f"/teacher/classes/{klass['id']}"
    return {"class": f"{base}/progress", "lea": f"{base}/members/{lea['id']}/progress",
            "hugo_report": f"{base}/members/{hugo['id']}/report", "class_page": base}


@pytest.mark.parametrize("screen,key,text", [
    ("suivi-classe", "class", "Suivi de CE1 e2e"),
    ("suivi-eleve", "lea", "Suivi de Léa"),
    ("bilan-imprimable", "hugo_report", "Bilan de Hugo"),
])
def test_the_progress_pages_are_accessible_at_every_size(contexts, report, year, screen, key, text):
    page = contexts(role="teacher").new_page()
    page.goto(year[key])
    assert text in page.inner_text("main")
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        found = report.check_accessible(page, f"{screen} ({size})")
        assert found == [], f"{screen} at {size}: {found}"
        report.screenshot(page, screen, size)


def test_the_teacher_goes_from_the_class_to_a_pupil_and_prints_their_report(contexts, year):
    page = contexts("phone", role="teacher").new_page()
    page.goto(year["class_page"])
    page.get_by_role("link", name="Suivi de la classe : réponses, résultats, élèves à aider").click()
    help_card = page.locator("section", has=page.get_by_role("heading", name="À aider"))
    assert "Hugo" in help_card.inner_text() and "Léa" not in help_card.inner_text()
    page.get_by_role("table", name="Chaque élève sur toutes les séances de la classe").get_by_role(
        "link", name="Hugo").click()
    assert "Suivi de Hugo" in page.inner_text("h1")
    page.get_by_role("link", name="Page à imprimer (réunion avec les parents)").click()
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible() and not page.locator(".no-print").first.is_visible()
    printed = page.inner_text("body")
    assert "Bilan de Hugo" in printed and "Lundi : additions" in printed
    assert "Léa" not in printed and "Zoé" not in printed
    assert page.pdf(format="A4")[:4] == b"%PDF", "Chromium prints it"


def test_the_progress_pages_in_english(contexts, report, year):
    page = contexts(language="en-GB", role="teacher").new_page()
    page.goto(year["class"])
    assert page.get_attribute("html", "lang") == "en"
    assert "Progress of CE1 e2e" in page.inner_text("main") and "Needs help" in page.inner_text("main")
    assert report.check_accessible(page, "class progress in English (tablet)") == []
