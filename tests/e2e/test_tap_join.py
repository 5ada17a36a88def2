"""Tap to join in real Chromium at phone size: a class from a Windows-1252 CSV, three pupils tap, one with a secret."""

from __future__ import annotations

import re

import pytest

from classbox.classes import pictograms
from tests.e2e.test_classroom_flow import accessible_everywhere, push_quiz
from tests.e2e.harness import contrast_problems
from tests.e2e.test_offline import controlled_page

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

    # The teacher ends the session from the dashboard; the phones say so.
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.click("#close-session")
    for page, over in ((lea, "La séance est terminée"), (zoe, "The session is over"), (noe, "La séance est terminée")):
        page.wait_for_selector(f"#connection-status:has-text('{over}')")

    # Thursday: a second session for the same class; the pupils type its code on the same phones.
    teacher.click("nav a[href='/teacher']")
    teacher.wait_for_selector("#session-class-line:not([hidden])")
    teacher.select_option("#session-class", label="CP bleu (tap)")
    teacher.fill("#session-title", "Calcul")
    teacher.click("#open-session")
    teacher.wait_for_url(re.compile(r"/teacher/sessions/[A-Z0-9]{6}$"))
    second = teacher.inner_text("#join-code").strip()
    assert second != code
    for page in (lea, zoe, noe):
        page.click("a.brand")
        page.fill("#code", second)
        page.click("form.join button[type=submit]")
        page.wait_for_url(f"**/join/{second}")
    for page, name in ((lea, "Léa"), (zoe, "Zoé"), (noe, "Noé")):
        tap_join(page, name, secrets[name])
    teacher.wait_for_function("() => document.querySelector('#pupil-count').textContent.startsWith('3 connecté')")
    teacher.select_option("#quiz-kind", "single")
    teacher.fill("#quiz-question", "Combien font 2 + 3 ?")
    teacher.fill("#quiz-choices", "4\n5\n6")
    teacher.fill("#quiz-correct", "2")
    teacher.click("#push-quiz-button")
    for page, choice in ((lea, 1), (zoe, 2), (noe, 1)):
        page.wait_for_selector("#quiz-form:has-text('2 + 3')")
        page.check(f"#choice-{choice}")
        page.click("#send-answer")
    teacher.wait_for_function("() => document.querySelectorAll('#answers li').length === 3")

    # The teacher follows Léa: class page, her name, her progress page shows both sessions.
    teacher.click("nav a[href='/teacher/classes']")
    teacher.click("a:has-text('CP bleu (tap)')")
    teacher.click("ul.members a:has-text('Léa')")
    teacher.wait_for_url(re.compile(r"/teacher/classes/\d+/members/[^/]+/progress$"))
    sessions = teacher.locator("#ms-caption ~ tbody tr th[scope=row]").all_inner_texts()
    assert sessions == ["Lecture", "Calcul"]
    marks = {title: teacher.locator("table.data", has=teacher.locator(f"caption:has-text('{title}')"))
             .locator("tbody tr").all_inner_texts() for title in ("Lecture", "Calcul")}
    assert len(marks["Lecture"]) == 1 and "Où va l'eau de pluie" in marks["Lecture"][0]
    assert "Dans le ciel" in marks["Lecture"][0] and "faux" in marks["Lecture"][0]
    assert len(marks["Calcul"]) == 1 and "2 + 3" in marks["Calcul"][0] and "juste" in marks["Calcul"][0]


def test_a_shared_tablet_and_a_takeover_the_teacher_allows(contexts, box):
    from classbox.auth.users import find_user
    from classbox.classes import store as classes
    from classbox.storage import open_database

    db = open_database(box.data_dir)
    try:
        owner = find_user(db, box.teacher[0])["id"]
        klass = classes.create_class(db, owner, "CE1 (tablette)", ["CE1"])
        classes.add_members(db, owner, klass["id"], [{"name": "Inès"}, {"name": "Hugo"}])
    finally:
        db.conn.close()
    teacher = contexts("tablet", role="teacher").new_page()
    teacher.goto("/teacher")
    teacher.wait_for_selector("#session-class-line:not([hidden])")
    teacher.select_option("#session-class", label="CE1 (tablette)")
    teacher.click("#open-session")
    teacher.wait_for_url(re.compile(r"/teacher/sessions/[A-Z0-9]{6}$"))
    code = teacher.inner_text("#join-code").strip()

    # One shared tablet: Inès, then « Changer d'élève », then Hugo.
    tablet = contexts("tablet").new_page()
    tablet.goto(f"/join/{code}")
    tablet.click("button.tap-member[data-name='Inès']")
    tablet.wait_for_selector("#join-panel", state="hidden")
    assert contrast_problems(tablet, "#switch-pupil") == [], "« Changer d'élève » is readable"
    tablet.click("#switch-pupil")
    tablet.wait_for_selector("#member-grid")
    tablet.click("button.tap-member[data-name='Hugo']")
    tablet.wait_for_selector("#join-panel", state="hidden")
    assert tablet.inner_text("#pupil-name-shown") == "Hugo"

    # Hugo again, on a phone, while the tablet is still Hugo: the teacher is asked and allows it.
    phone = contexts("phone").new_page()
    phone.goto(f"/join/{code}")
    phone.click("button.tap-member[data-name='Hugo']")
    phone.wait_for_function("() => document.querySelector('#join-error').textContent.includes('enseignant')")
    teacher.wait_for_selector("#takeover-requests li:has-text('Hugo')")
    teacher.click("#takeover-requests button.allow-takeover")
    phone.wait_for_selector("#join-panel", state="hidden")
    assert phone.inner_text("#pupil-name-shown") == "Hugo"
    tablet.wait_for_function("() => document.querySelector('#join-error').textContent.includes('a pris ta place')")
    assert tablet.is_visible("#member-grid")
    teacher.wait_for_selector("#takeover-requests li:has-text('Hugo est entré(e) sur le nouvel appareil') button.close-takeover")
    teacher.click("#takeover-requests button.close-takeover")
    teacher.wait_for_selector("#takeover-requests li", state="detached")


def test_every_pictogram_is_on_the_phone_before_its_first_join_page(contexts):
    context = contexts("phone")
    page = controlled_page(context)  # the pupil home once: the service worker installs the shell
    urls = [pictograms.url(p) for p in pictograms.PICTURE_IDS]
    context.set_offline(True)
    served = page.evaluate("async urls => Promise.all(urls.map(u => fetch(u).then(r => r.ok && "
                           "r.headers.get('content-type').startsWith('image/svg'), () => false)))", urls)
    context.set_offline(False)
    assert served == [True] * len(urls)
