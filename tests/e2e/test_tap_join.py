"""Tap to join in real Chromium at phone size: a class from a Windows-1252 CSV, three pupils tap, one with a secret."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_classroom_flow import accessible_everywhere, push_quiz

pytestmark = pytest.mark.peer

# A school export as a French Excel saves it: Windows-1252, semicolons, a header line.
CSV = "Prénom;Classe\nLéa;CP\nZoé;CP\nNoé;CP\nAnaïs;CP\n".encode("cp1252")


def make_class(teacher, tmp_path) -> None:
    """The teacher creates a class, imports the CSV and turns picture secrets on."""
    teacher.goto("/teacher/classes")
    teacher.fill("#class-name", "CP bleu (tap)")
    teacher.check("input[name=levels][value=CP]")
    teacher.click("#new-class-title ~ form button[type=submit]")
    teacher.wait_for_url(re.compile(r"/teacher/classes/\d+$"))
    (tmp_path / "cp.csv").write_bytes(CSV)
    teacher.set_input_files("#csv-file", str(tmp_path / "cp.csv"))
    teacher.click("#import-title ~ form button[type=submit]")
    teacher.wait_for_selector("ul.members li:has-text('Anaïs')")
    teacher.check("#secrets-enabled")
    teacher.click("#secrets-save")
    teacher.wait_for_selector("td[data-secret-for] img")


def secret_of(teacher, name: str) -> list[str]:
    """The two pictures the class page shows for a member (ids from their hashed URLs)."""
    row = teacher.locator("#secrets tr", has_text=name)
    return [re.search(r"/pictograms/([a-z]+)-", src).group(1)
            for src in row.locator("img").evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))")]


def tap_join(page, name: str, secret: list[str]) -> None:
    page.click(f"button.tap-member[data-name='{name}']")
    page.wait_for_selector("#secret-pad", state="visible")
    for picture in secret:
        page.click(f"button.tap-secret[data-picture='{picture}']")
    page.wait_for_selector("#join-panel", state="hidden")
    assert page.inner_text("#pupil-name-shown") == name


def test_three_pupils_tap_to_join_a_class_session_and_answer(contexts, report, tmp_path):
    teacher = contexts("tablet", role="teacher").new_page()
    make_class(teacher, tmp_path)
    secrets = {name: secret_of(teacher, name) for name in ("Léa", "Zoé", "Noé")}
    teacher.goto("/teacher")
    teacher.wait_for_selector("#session-class-line:not([hidden])")
    teacher.select_option("#session-class", label="CP bleu (tap)")
    teacher.fill("#session-title", "Lecture")
    teacher.click("#open-session")
    teacher.wait_for_url(re.compile(r"/teacher/sessions/[A-Z0-9]{6}$"))
    code = teacher.inner_text("#join-code").strip()

    # Straight from the QR code (the join URL), at phone size; one phone speaks English.
    lea, zoe, noe = (contexts("phone", language=lang).new_page() for lang in ("fr-FR", "en-GB", "fr-FR"))
    for page in (lea, zoe, noe):
        page.goto(f"/join/{code}")
        page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert lea.inner_text("#tap-title") == "Touche ton prénom" and zoe.inner_text("#tap-title") == "Tap your first name"
    assert lea.locator("button.tap-member").count() == 4
    accessible_everywhere(lea, report, "eleve-classe", sizes=("phone",))
    accessible_everywhere(zoe, report, "pupil-class-en", sizes=("phone",), shots=False)
    lea.click("button.tap-member[data-name='Léa']")
    lea.wait_for_selector("#secret-pad", state="visible")
    accessible_everywhere(lea, report, "eleve-code-secret", sizes=("phone",))
    lea.click("#secret-back")

    # Noé taps a wrong secret first, then the right one; Léa and Zoé get it right at once.
    noe.click("button.tap-member[data-name='Noé']")
    wrong = [p for p in ("sun", "moon") if p != secrets["Noé"][0]][:1] + [secrets["Noé"][1]]
    for picture in wrong:
        noe.click(f"button.tap-secret[data-picture='{picture}']")
    noe.wait_for_function("() => document.querySelector('#join-error').textContent.includes('images secrètes')")
    for picture in secrets["Noé"]:
        noe.click(f"button.tap-secret[data-picture='{picture}']")
    noe.wait_for_selector("#join-panel", state="hidden")
    tap_join(lea, "Léa", secrets["Léa"])
    tap_join(zoe, "Zoé", secrets["Zoé"])
    teacher.wait_for_function("() => document.querySelector('#pupil-count').textContent.startsWith('3 connecté')")

    push_quiz(teacher)
    for page, choice in ((lea, 1), (zoe, 1), (noe, 0)):
        page.wait_for_selector("#quiz-form")
        page.check(f"#choice-{choice}")
        page.click("#send-answer")
    teacher.wait_for_function("() => document.querySelectorAll('#answers li').length === 3")
