"""A prepared lesson in real browsers: a teacher imports a GIFT file on the lessons page, plays it live to three phones
(next, previous, "Question 2 / 4"), then releases it self-paced and follows each pupil's progress."""

from __future__ import annotations

import pytest

from tests.e2e.test_classroom_flow import accessible_everywhere, join_by_code, open_session

pytestmark = pytest.mark.peer

GIFT = """$CATEGORY: $course$/top/Fractions e2e

::Q1::Quelle fraction est égale à 1/2 ?{=2/4 ~1/3#Non, 1/3 est plus petit que 1/2. ~2/3}

::Q2::Combien font 1/4 + 1/4 ?{#0.5:0.01}

::Q3::Capitale de la France ?{=Paris =Lutèce}

::Q4::2/2 est égal à 1.{T}
"""


def import_gift(teacher) -> int:
    """The teacher imports the GIFT file on the lessons page (i17-pages' form)."""
    teacher.goto("/teacher/lessons")
    teacher.set_input_files("#lesson-file", files=[{"name": "fractions.gift", "mimeType": "text/plain",
                                                     "buffer": GIFT.encode("utf-8")}])
    teacher.click("#import-lessons")
    teacher.wait_for_selector("#import-summary")
    assert teacher.inner_text("#import-summary") == "1 leçon(s) importée(s), 0 question(s) ignorée(s)."
    assert "(4 étape(s))" in teacher.inner_text("#imported-lessons")
    href = teacher.get_attribute("#imported-lessons a", "href")
    return int(href.rstrip("/").rsplit("/", 1)[1])


def live_step(page) -> str:
    page.wait_for_selector("#lesson-live-step")
    return page.inner_text("#lesson-live-step")


def test_a_teacher_imports_a_gift_file_plays_it_live_then_releases_it(contexts, box, report):
    teacher = contexts("projector", role="teacher").new_page()
    lesson_id = import_gift(teacher)
    code = open_session(teacher)
    pupils = [contexts("phone", language=lang).new_page() for lang in ("fr-FR", "fr-FR", "en-GB")]
    for page, name in zip(pupils, ("Léa", "Tom", "Emma")):
        join_by_code(page, code, name)
    lea, tom, emma = pupils

    # Live: the teacher picks the lesson, plays it, goes to the next step and back.
    teacher.wait_for_selector(f"#lesson-pick option[value='{lesson_id}']", state="attached")
    teacher.select_option("#lesson-pick", str(lesson_id))
    teacher.wait_for_selector("#lesson-steps li")
    teacher.click("#lesson-play")
    for page in pupils:
        page.wait_for_function("() => document.querySelector('#lesson-live-step')?.textContent === 'Question 1 / 4'")
    teacher.click("#lesson-next")
    for page in pupils:
        page.wait_for_function("() => document.querySelector('#lesson-live-step')?.textContent === 'Question 2 / 4'")
    assert "Combien font 1/4 + 1/4 ?" in tom.inner_text("#activity")
    assert teacher.inner_text("#lesson-live-position") == "Étape 2 / 4 en cours"
    assert teacher.get_attribute("#lesson-steps li:nth-child(2)", "aria-current") == "step"
    accessible_everywhere(teacher, report, "lecon-en-direct", sizes=("tablet", "projector"))
    accessible_everywhere(tom, report, "eleve-lecon-en-direct", sizes=("phone",))
    teacher.click("#lesson-prev")
    lea.wait_for_function("() => document.querySelector('#lesson-live-step')?.textContent === 'Question 1 / 4'")
    lea.check("#choice-0")
    lea.click("#send-answer")
    tom.check("#choice-1")
    tom.click("#send-answer")
    teacher.wait_for_function("() => document.querySelectorAll('#answers li').length === 2")
    teacher.click("#lesson-summary-button")
    teacher.wait_for_selector(".lesson-summary li")
    assert "50 %" in teacher.inner_text(".lesson-summary li")
    assert "Léa" in teacher.inner_text("#lesson-summary table")

    # Self-paced: each pupil works through the lesson alone; the dashboard follows them live.
    teacher.click("#lesson-release")
    teacher.wait_for_selector("#lesson-selfpaced:not([hidden])")
    for page in pupils:
        page.wait_for_selector("#lesson:not([hidden]) #lesson-form")
    assert lea.inner_text("#lesson-position") == "Question 1 / 4"
    assert emma.inner_text("#lesson-next") == "Next" and emma.inner_text("#lesson-prev") == "Previous"
    lea.check("#lesson-choice-1")
    lea.click("#lesson-send")
    lea.wait_for_selector(".lesson-result")
    assert "Non, 1/3 est plus petit que 1/2." in lea.inner_text(".lesson-result")
    assert "Bonne réponse : 2/4" in lea.inner_text(".lesson-result")
    accessible_everywhere(lea, report, "eleve-lecon-autonomie", sizes=("phone",))
    lea.click("#lesson-next")
    lea.fill("#lesson-text", "0,5")
    lea.click("#lesson-send")
    lea.wait_for_function("() => document.querySelector('.lesson-result')?.textContent.includes('Juste')")
    emma.check("#lesson-choice-0")
    emma.click("#lesson-send")
    emma.wait_for_function("() => document.querySelector('.lesson-result')?.textContent.includes('Right')")
    teacher.wait_for_function("""() => [...document.querySelectorAll('#release-progress tr')]
        .some(tr => tr.textContent.startsWith('Léa') && tr.children[2].textContent === '2 / 4')""")
    # Tom's Wi-Fi drops: his answer waits on the phone, then arrives with its feedback.
    tom.context.set_offline(True)
    tom.wait_for_function("() => document.querySelector('#connection-status').textContent.includes('perdue')")
    tom.check("#lesson-choice-0")
    tom.click("#lesson-send")
    tom.wait_for_function("() => document.querySelector('#lesson-answer-status').textContent.includes('Hors connexion')")
    tom.context.set_offline(False)
    tom.wait_for_function("() => document.querySelector('.lesson-result')?.textContent.includes('Juste')", timeout=30_000)
    assert tom.evaluate("async () => (await ClassboxOutbox.pending()).length") == 0
    teacher.wait_for_function("""() => [...document.querySelectorAll('#release-progress tr')]
        .some(tr => tr.textContent.startsWith('Tom') && tr.children[2].textContent === '1 / 4')""")
    row = teacher.inner_text("#release-progress tr:has-text('Emma')")
    assert "1 / 4" in row, row
    accessible_everywhere(teacher, report, "lecon-autonomie-progression", sizes=("tablet", "projector"))

    # The projector shows the live lesson's summary without any name.
    projector = contexts("projector", role="teacher").new_page()
    projector.goto(f"/teacher/sessions/{code}/projector?lesson={lesson_id}")
    projector.wait_for_selector("#projector-lesson .lesson-summary li")
    assert "Léa" not in projector.inner_text("body") and "Tom" not in projector.inner_text("body")
    accessible_everywhere(projector, report, "lecon-bilan-projecteur", sizes=("projector",))

    # The teacher stops it: the pupils are told, the lesson leaves their screens.
    teacher.click("#release-stop")
    tom.wait_for_function("() => document.querySelector('#lesson-status').textContent.includes('arrêté')")
    emma.wait_for_function("() => document.querySelector('#lesson-status').textContent.includes('stopped')")
    assert tom.locator("#lesson-form").count() == 0


def test_the_next_step_follows_by_itself_when_the_countdown_ends_if_the_teacher_asks(contexts, box):
    teacher = contexts("tablet", role="teacher").new_page()
    teacher.goto("/teacher")
    token = teacher.evaluate("() => document.querySelector('input[name=csrf_token]').value")
    made = teacher.request.post("/api/lessons", headers={"X-CSRFToken": token}, data={
        "format": "classbox-lesson/1", "lessons": [{"title": "Chrono", "steps": [
            {"type": "quiz", "kind": "number", "question": "3 × 4 ?", "correct": 12, "duration_s": 5},
            {"type": "message", "text": "Fin du chrono."}]}]})
    assert made.status == 201, made.text()
    lesson_id = made.json()["lessons"][0]["id"]
    code = open_session(teacher)
    pupil = contexts("phone").new_page()
    join_by_code(pupil, code, "Lou")
    teacher.wait_for_selector(f"#lesson-pick option[value='{lesson_id}']", state="attached")
    teacher.select_option("#lesson-pick", str(lesson_id))
    teacher.check("#lesson-auto")
    teacher.click("#lesson-play")
    pupil.wait_for_function("() => document.querySelector('#lesson-live-step')?.textContent === 'Question 1 / 2'")
    pupil.wait_for_function("() => document.querySelector('#lesson-live-step')?.textContent === 'Question 2 / 2'",
                            timeout=20_000)
    assert pupil.inner_text("#message-text") == "Fin du chrono."
