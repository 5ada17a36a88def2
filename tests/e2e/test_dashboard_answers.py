"""The dashboard's answers in Chromium: the teacher's words, numbers in the page's format, right/wrong in words."""

from __future__ import annotations

import pytest

from tests.e2e.test_classroom_flow import CHOICES, QUESTION, accessible_everywhere, join_by_code, open_session

pytestmark = pytest.mark.peer

NAMES = ["N'Diaye", "Zoé & Léo", "<img src=x onerror=alert(1)>"]


def push(teacher, kind: str, question: str, choices: list[str], correct: str) -> None:
    """The teacher sends a question from the dashboard's form."""
    teacher.select_option("#quiz-kind", kind)
    teacher.fill("#quiz-question", question)
    teacher.fill("#quiz-choices", "\n".join(choices))
    teacher.fill("#quiz-correct", correct)
    teacher.click("#push-quiz-button")
    teacher.wait_for_function("(q) => document.querySelector('#current-title').textContent === q", arg=question)


def answer(pupil, picks: list[int] | None = None, typed: str | None = None) -> None:
    """A pupil ticks choices or types an answer, sends it and sees it sent."""
    pupil.wait_for_selector("#quiz-form")
    for index in picks or []:
        pupil.check(f"#choice-{index}")
    if typed is not None:
        pupil.fill("#quiz-answer", typed)
    pupil.click("#send-answer")
    pupil.wait_for_function("() => document.querySelector('#envoi').dataset.state === 'sent'")


def rows(teacher, count: int) -> dict[str, tuple[str, str]]:
    """{pupil: (answer shown, verdict shown)} once `count` answers are listed."""
    teacher.wait_for_function("(n) => document.querySelectorAll('#answers li').length === n", arg=count)
    found = {}
    for item in teacher.locator("#answers li").all():
        verdict = item.locator(".verdict")
        found[item.locator("strong").inner_text().rsplit(" :", 1)[0]] = (
            item.locator(".answer").inner_text(), verdict.inner_text() if verdict.count() else "")
    return found


def test_answers_read_as_the_teacher_wrote_them_with_right_and_wrong_in_words(contexts, report):
    teacher = contexts("tablet", role="teacher").new_page()
    dialogs: list[str] = []
    teacher.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    code = open_session(teacher)
    pupils = []
    for name in NAMES:
        pupil = contexts("phone").new_page()
        join_by_code(pupil, code, name)
        pupils.append(pupil)
    ndiaye, zoe, markup = pupils
    teacher.wait_for_function("() => document.querySelector('#pupil-count').textContent.startsWith('3 connecté')")
    # Real names are shown as written, and a name made of markup stays text.
    assert teacher.locator("#pupil-list label").all_inner_texts() == NAMES
    assert ndiaye.inner_text("#pupil-name-shown") == "N'Diaye"

    push(teacher, "single", QUESTION, CHOICES, "1")
    answer(ndiaye, [0])
    answer(zoe, [1])
    answer(markup, [2])
    assert rows(teacher, 3) == {"N'Diaye": ("Dans la rivière", "✓ juste"), "Zoé & Léo": ("Dans le ciel", "✗ faux"),
                                NAMES[2]: ("Nulle part", "✗ faux")}
    accessible_everywhere(teacher, report, "seance-reponses", sizes=("tablet",), shots=False)

    push(teacher, "multiple", "Quels fleuves passent en France ?", ["La Loire", "Le Nil", "Le Rhône"], "1,3")
    answer(ndiaye, [0, 2])
    answer(zoe, [0, 1])
    assert rows(teacher, 2) == {"N'Diaye": ("La Loire, Le Rhône", "✓ juste"), "Zoé & Léo": ("La Loire, Le Nil", "✗ faux")}

    push(teacher, "number", "Combien font 7 × 8 ?", [], "56")
    answer(ndiaye, typed="56")
    answer(zoe, typed="55,5")
    assert rows(teacher, 2) == {"N'Diaye": ("56", "✓ juste"), "Zoé & Léo": ("55,5", "✗ faux")}

    push(teacher, "text", "Ton fruit préféré ?", [], "")
    answer(markup, typed="<b>la pêche</b>")
    assert rows(teacher, 1) == {NAMES[2]: ("<b>la pêche</b>", "")}, "no answer given: no verdict"

    # Nothing the pupils typed ran or became markup on the teacher's page.
    assert dialogs == []
    assert teacher.locator("#pupil-list img, #answers img, #answers b").count() == 0
