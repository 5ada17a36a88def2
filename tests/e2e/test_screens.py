"""Every page, as a pupil, a teacher and a technician see it: axe-clean, screenshotted, light."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SIZES, first_load_weight

pytestmark = pytest.mark.peer

# (screen name, path, who is logged in, text the page must show)
SCREENS = [
    ("accueil", "/", None, "Rejoindre la classe"),
    ("connexion", "/login", None, "Espace enseignant"),
    ("bibliotheque", "/library", None, "Bibliothèque"),
    ("tableau-de-bord", "/teacher", "teacher", "Tableau de bord"),
    ("administration", "/admin", "admin", "Administration"),
    ("page-introuvable", "/pas-de-page-ici", None, "Page introuvable"),
]


def check_screen(page, report, screen: str) -> None:
    """axe at phone, tablet and projector sizes (0 serious, 0 critical), and a screenshot of each."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        found = report.check_accessible(page, f"{screen} ({size})")
        assert found == [], f"{screen} at {size}: {found}"
        report.screenshot(page, screen, size)


@pytest.mark.parametrize("screen,path,who,text", SCREENS, ids=[s[0] for s in SCREENS])
def test_page_is_accessible_at_every_size(contexts, report, screen, path, who, text):
    page = contexts(role=who).new_page()
    page.goto(path)
    assert text in page.inner_text("main")
    assert page.get_attribute("html", "lang") == "fr"
    check_screen(page, report, screen)


def test_pupil_first_load_is_at_most_150_kb_compressed(contexts, report):
    weight = report.weights["accueil"] = first_load_weight(contexts("phone"), "/")
    kinds = {f["type"] for f in weight["files"]}
    assert {"text/html", "text/css", "text/javascript"} <= kinds, weight
    assert weight["gzip"] <= 150 * 1024, weight
