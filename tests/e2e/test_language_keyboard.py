"""French first, English on request; the pupil's way in works with a keyboard alone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.peer


def test_an_english_browser_gets_english_and_can_switch_to_french(contexts, report):
    page = contexts("tablet", language="en-GB").new_page()
    page.goto("/")
    assert page.get_attribute("html", "lang") == "en"
    assert "Join the class" in page.inner_text("main")
    assert report.check_accessible(page, "home in English (tablet)") == []
    page.click("text=Français")
    assert page.get_attribute("html", "lang") == "fr"
    assert page.url.endswith("/")
    page.goto("/library")
    assert page.get_attribute("html", "lang") == "fr", "the choice outlives the page"


def test_skip_link_and_join_form_work_with_the_keyboard(contexts):
    page = contexts("phone").new_page()
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    assert page.evaluate("() => document.activeElement.getBoundingClientRect().left >= 0"), "visible on focus"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "contenu"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "code":
            break
    assert page.evaluate("() => document.activeElement.id") == "code"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is visible"
    page.keyboard.type("ABC123")
    page.keyboard.press("Enter")
    page.wait_for_url("**/join**")
    assert "ABC123" in page.url.upper()


def test_a_lesson_in_english_pupil_and_teacher_pages_and_their_scripts(contexts, report):
    teacher = contexts("tablet", language="en-GB", role="teacher").new_page()
    teacher.goto("/teacher")
    assert "Open a session" in teacher.inner_text("main")
    teacher.fill("#session-title", "Water cycle")
    teacher.click("#open-session")
    teacher.wait_for_url("**/teacher/sessions/*")
    teacher.wait_for_function("() => document.querySelector('#live-status').textContent === 'Session open.'")
    assert "Send to the pupils" in teacher.inner_text("main")
    code = teacher.inner_text("#join-code").strip()

    pupil = contexts("phone", language="en-GB").new_page()
    pupil.goto(f"/join/{code}")
    assert pupil.get_attribute("html", "lang") == "en"
    assert "Waiting for the teacher…" in pupil.inner_text("#activity")
    pupil.fill("#pupil-name", "\u3164")  # the box's own answer over Socket.IO follows Accept-Language too
    pupil.click("#join-button")
    pupil.wait_for_function("() => document.querySelector('#join-error').textContent === 'This name has no visible character.'")
    pupil.fill("#pupil-name", "Sam")
    pupil.click("#join-button")
    pupil.wait_for_function("() => document.querySelector('#connection-status').textContent"
                            " === 'Connected to “Water cycle”.'")
    teacher.wait_for_function("() => document.querySelector('#pupil-count').textContent === '1 online out of 1'")
    assert "online" in teacher.inner_text("#pupil-list") and "Rename" in teacher.inner_text("#pupil-list")

    teacher.fill("#quiz-question", "2 + 2?")
    teacher.fill("#quiz-choices", "3\n4")
    teacher.click("#push-quiz-button")
    teacher.wait_for_function("() => document.querySelector('#push-status').textContent === 'Sent.'")
    pupil.wait_for_selector("#send-answer")
    assert pupil.inner_text("#send-answer") == "Send"
    pupil.click("#send-answer")
    assert pupil.inner_text("#answer-status") == "Choose an answer."
    assert report.check_accessible(pupil, "quiz in English (phone)") == []
    pupil.check("#choice-1")
    pupil.click("#send-answer")
    pupil.wait_for_function("() => document.querySelector('#answer-status').textContent === 'Answer sent ✔'")
    teacher.wait_for_function("() => document.querySelector('#current-results').textContent.includes('1 answer(s)')")
    assert "answered" in teacher.inner_text("#pupil-list")
