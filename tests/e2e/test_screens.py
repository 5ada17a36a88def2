"""Every page, as a pupil, a teacher and a technician see it: axe-clean, screenshotted, light."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SIZES, first_load_weight

pytestmark = pytest.mark.peer

# (screen name, path, who is logged in, text the page must show); {video} and {lesson} are the
# library ids of the e2e pack's video and of the demo pack's first HTML lesson.
SCREENS = [
    ("accueil", "/", None, "Rejoindre la classe"),
    ("connexion", "/login", None, "Espace enseignant"),
    ("bibliotheque", "/library", None, "Bibliothèque"),
    ("bibliotheque-recherche", "/library?q=mire", None, "La mire qui tourne"),
    ("ressource-video", "/library/{video}", None, "La mire qui tourne"),
    ("ressource-lecon", "/library/{lesson}", None, ""),
    ("connect", "/connect", None, "Connectez-vous"),
    ("tableau-de-bord", "/teacher", "teacher", "Tableau de bord"),
    ("mes-lecons", "/teacher/lessons", "teacher", "Mes leçons"),
    ("administration", "/admin", "admin", "Administration"),
    ("page-introuvable", "/pas-de-page-ici", None, "Page introuvable"),
]


def library_ids(page) -> dict[str, str]:
    """Ids of one video and one HTML lesson in the box's library (search API)."""
    ids = {}
    for name, kind in (("video", "video"), ("lesson", "html")):
        response = page.request.get(f"/api/library?kind={kind}")
        items = response.json()["items"] if response.ok else []
        if items:
            ids[name] = items[0]["id"]
    return ids


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
    if "{" in path:
        ids = library_ids(page)
        assert {"video", "lesson"} <= set(ids), f"the library has the e2e video and the demo lesson: {ids}"
        path = path.format(**ids)
    page.goto(path)
    assert text in page.inner_text("main")
    assert page.get_attribute("html", "lang") == "fr"
    check_screen(page, report, screen)


def test_pupil_first_load_is_at_most_150_kb_compressed(contexts, report):
    weight = report.weights["accueil"] = first_load_weight(contexts("phone"), "/")
    kinds = {f["type"] for f in weight["files"]}
    assert {"text/html", "text/css", "text/javascript"} <= kinds, weight
    assert weight["gzip"] <= 150 * 1024, weight


def test_connect_page_updates_itself_without_reloading(contexts):
    page = contexts("projector").new_page()
    page.clock.install()
    page.goto("/connect")
    page.evaluate("() => { window.stillTheSamePage = true;"
                  " document.querySelector('.connect-url').textContent = 'ancienne adresse'; }")
    page.clock.fast_forward(31_000)
    page.wait_for_function("() => !document.querySelector('main').innerText.includes('ancienne adresse')")
    assert page.evaluate("() => window.stillTheSamePage") is True, "updated in place, focus and reading position kept"
