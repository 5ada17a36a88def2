"""The teacher's tools in a real browser: renaming a pupil inline, projecting any question of the session."""

from __future__ import annotations

import pytest

from tests.e2e.test_classroom_flow import CHOICES, QUESTION, accessible_everywhere, join_by_code, open_session, push_quiz

pytestmark = pytest.mark.peer

RENAME_INPUT = "#pupil-list input.rename-input"


def active(page, what: str = "id"):
    """An attribute of the focused element ("id", "action" for data-action, …)."""
    if what == "action":
        return page.evaluate("() => document.activeElement.dataset.action || null")
    return page.evaluate(f"() => document.activeElement.getAttribute({what!r})")


def test_teacher_renames_a_pupil_in_the_row_with_the_keyboard(contexts, report):
    teacher = contexts("tablet", role="teacher").new_page()
    code = open_session(teacher)
    teacher.evaluate("() => { window.prompt = () => { throw new Error('no prompt box any more'); }; }")
    lea = contexts("phone").new_page()
    join_by_code(lea, code, "Lea")
    teacher.wait_for_function("() => document.querySelector('#pupil-count').textContent.startsWith('1 connecté')")

    # Enter on "Renommer" opens a labelled field in the pupil's row, filled with the name and focused.
    teacher.focus("#pupil-list button[data-action=rename]")
    teacher.keyboard.press("Enter")
    teacher.wait_for_selector(RENAME_INPUT)
    field = teacher.locator(RENAME_INPUT)
    assert active(teacher) == field.get_attribute("id")
    assert teacher.locator(f"label[for='{field.get_attribute('id')}']").inner_text() == "Nouveau nom pour Lea"
    assert field.input_value() == "Lea"
    form = teacher.locator("#pupil-list form.rename-form")
    assert form.locator("button[type=submit]").inner_text() == "Renommer"
    assert form.locator("button[data-action=rename-cancel]").inner_text() == "Annuler"
    accessible_everywhere(teacher, report, "seance-renommer", sizes=("tablet", "projector"))

    # Escape cancels: nothing sent, focus back on the row's "Renommer" button.
    teacher.keyboard.type("Zoé")
    teacher.keyboard.press("Escape")
    assert teacher.locator(RENAME_INPUT).count() == 0
    assert active(teacher, "action") == "rename"
    assert "Lea" in teacher.inner_text("#pupil-list")

    # The server refuses a name: its message appears next to the field, in a live region.
    teacher.keyboard.press("Enter")
    teacher.wait_for_selector(RENAME_INPUT)
    teacher.keyboard.insert_text("\u3164\u3164")  # the name was selected: typing replaces it
    teacher.keyboard.press("Enter")
    error = teacher.locator("#pupil-list .rename-error")
    teacher.wait_for_function("() => document.querySelector('#pupil-list .rename-error').textContent"
                              " === 'Ce prénom ne contient aucun caractère visible.'")
    assert error.get_attribute("aria-live") == "assertive"
    assert field.get_attribute("aria-invalid") == "true"
    assert error.get_attribute("id") in field.get_attribute("aria-describedby").split()
    assert active(teacher) == field.get_attribute("id")
    assert lea.inner_text("#pupil-name-shown") == "Lea", "nothing renamed"
    accessible_everywhere(teacher, report, "seance-renommer-erreur", sizes=("tablet",), shots=False)

    # A pupil joining meanwhile redraws the list: the open field keeps its text and the focus.
    teacher.fill(RENAME_INPUT, "Léa B.")
    tom = contexts("phone").new_page()
    join_by_code(tom, code, "Tom")
    teacher.wait_for_function("() => document.querySelector('#pupil-count').textContent.startsWith('2 connecté')")
    assert field.input_value() == "Léa B."
    assert active(teacher) == field.get_attribute("id")

    # Enter renames: the row, the pupil's own screen and the export all show the new name.
    teacher.keyboard.press("Enter")
    teacher.wait_for_selector(RENAME_INPUT, state="detached")
    assert "Léa B." in teacher.inner_text("#pupil-list")
    assert active(teacher, "action") == "rename"
    row_name = teacher.evaluate("() => document.activeElement.closest('li').querySelector('label').textContent")
    assert row_name == "Léa B."
    lea.wait_for_function("() => document.querySelector('#pupil-name-shown').textContent === 'Léa B.'")
    names = [p["name"] for p in teacher.request.get(f"/api/sessions/{code}/results").json()["pupils"]]
    assert names == ["Léa B.", "Tom"]


def answer(teacher, pupil, question: str, choice: int, code: str, stored: int) -> None:
    """The pupil answers `question`; returns once the box holds `stored` answers for the session."""
    pupil.wait_for_function(f"() => (document.querySelector('#quiz-form legend') || {{}}).textContent === {question!r}")
    pupil.check(f"#choice-{choice}")
    pupil.click("#send-answer")
    for _ in range(100):
        if len(teacher.request.get(f"/api/sessions/{code}/results").json()["submissions"]) == stored:
            return
        teacher.wait_for_timeout(100)
    raise AssertionError(f"{stored} answers never stored")


def push_other_quiz(teacher, question: str, choices: list[str]) -> None:
    teacher.select_option("#quiz-kind", "single")
    teacher.fill("#quiz-question", question)
    teacher.fill("#quiz-choices", "\n".join(choices))
    teacher.fill("#quiz-correct", "")
    teacher.click("#push-quiz-button")


def bar_counts(page) -> list[int]:
    return [int(x) for x in page.locator("#projector-results .bar-count").all_inner_texts()]


def test_projector_shows_any_question_of_the_session_without_names(contexts, report):
    teacher_context = contexts("projector", role="teacher")
    teacher = teacher_context.new_page()
    code = open_session(teacher)
    noe = contexts("phone").new_page()
    join_by_code(noe, code, "Noé")
    push_quiz(teacher)
    answer(teacher, noe, QUESTION, 1, code, 1)
    push_other_quiz(teacher, "Combien font 2 + 2 ?", ["3", "4"])
    answer(teacher, noe, "Combien font 2 + 2 ?", 1, code, 2)
    activities = teacher.request.get(f"/api/sessions/{code}/results").json()["activities"]
    first_id = activities[0]["id"]
    link = teacher.locator("#project-current")
    teacher.wait_for_function(f"() => document.querySelector('#project-current').href.endsWith('?activity={activities[1]['id']}')")
    assert link.is_visible() and link.inner_text() == "Projeter cette question"

    projector = teacher_context.new_page()
    projector.goto(f"/teacher/sessions/{code}/projector")
    projector.wait_for_function("() => document.querySelector('#projector-question').textContent === 'Combien font 2 + 2 ?'")
    projector.wait_for_function("() => document.querySelectorAll('#projector-activity option').length === 3")
    options = projector.locator("#projector-activity option").all_inner_texts()
    assert options == ["L'activité en cours", f"Question 1 : {QUESTION}", "Question 2 : Combien font 2 + 2 ?"]

    # The teacher picks the first question again: its results, large, and no pupil's name.
    projector.select_option("#projector-activity", label=f"Question 1 : {QUESTION}")
    projector.wait_for_function(f"() => document.querySelector('#projector-question').textContent === {QUESTION!r}")
    assert projector.locator("#projector-results .bar-label").all_inner_texts() == CHOICES
    assert bar_counts(projector) == [0, 1, 0]
    assert "Noé" not in projector.inner_text("body")
    accessible_everywhere(projector, report, "projecteur-question-choisie", sizes=("projector", "tablet"))

    # A new question does not take the projector away from the chosen one; "current" follows it again.
    push_other_quiz(teacher, "Quelle couleur a le ciel ?", ["Bleu", "Vert"])
    projector.wait_for_function("() => document.querySelectorAll('#projector-activity option').length === 4")
    assert projector.inner_text("#projector-question") == QUESTION
    projector.select_option("#projector-activity", value="")
    projector.wait_for_function("() => document.querySelector('#projector-question').textContent"
                                " === 'Quelle couleur a le ciel ?'")
    answer(teacher, noe, "Quelle couleur a le ciel ?", 0, code, 3)
    projector.wait_for_function("() => document.querySelector('#projector-results .bar-count').textContent === '1'")

    # A link can open the projector on one question (?activity=<id>).
    pinned = teacher_context.new_page()
    pinned.goto(f"/teacher/sessions/{code}/projector?activity={first_id}")
    pinned.wait_for_function(f"() => document.querySelector('#projector-question').textContent === {QUESTION!r}")
    assert pinned.input_value("#projector-activity") == first_id
    assert bar_counts(pinned) == [0, 1, 0]
