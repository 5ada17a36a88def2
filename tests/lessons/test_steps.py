"""Lesson steps are what the classroom's `push` sends, plus what a prepared lesson keeps."""

from __future__ import annotations

import pytest

from classbox.classroom.activities import check_answer, validate_spec
from classbox.lessons.steps import LessonError, to_push, validate_step, validate_steps
from classbox.lessons.store import Lesson, get_lesson, list_lessons, save_lessons

STEPS = [
    {"type": "resource", "resource_id": "fractions-video", "title": "La vidéo"},
    {"type": "message", "text": "Regardez le tableau."},
    {"type": "quiz", "kind": "single", "question": "2 + 2 ?", "choices": ["3", "4"], "correct": 1, "duration_s": 30},
    {"type": "quiz", "kind": "multiple", "question": "Pairs ?", "choices": ["2", "3", "4"], "correct": [0, 2],
     "weights": [50, -100, 50]},
    {"type": "quiz", "kind": "text", "question": "Capitale ?", "correct": ["Paris", "Lutèce"]},
    {"type": "quiz", "kind": "number", "question": "Pi ?", "correct": 3.14, "tolerance": 0.01},
    {"type": "quiz", "kind": "number", "question": "Entre 1 et 2 ?", "min": 1, "max": 2},
    {"type": "handin", "instructions": "Photographiez votre cahier.", "accept": ["photo"]},
    {"type": "pause"},
]


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s["type"] + "-" + s.get("kind", ""))
def test_every_step_is_a_push_payload_the_classroom_accepts(step):
    checked = validate_step(step)
    assert validate_spec(to_push(checked))[0] == step["type"]


@pytest.mark.parametrize("answer, right", [("3,14", True), ("3.149", True), ("3.16", False)])
def test_numbers_accept_a_tolerance(answer, right):
    kind, spec, _ = validate_spec(to_push(validate_step(STEPS[5])))
    assert check_answer(kind, spec, answer, 100)[2] is right


@pytest.mark.parametrize("answer, right", [("1", True), ("1,5", True), ("2", True), ("2.01", False), ("0.99", False)])
def test_numbers_accept_a_range(answer, right):
    kind, spec, _ = validate_spec(to_push(validate_step(STEPS[6])))
    assert check_answer(kind, spec, answer, 100)[2] is right


@pytest.mark.parametrize("answer, right", [("  LUTECE ", True), ("paris", True), ("Londres", False)])
def test_short_text_has_several_right_answers_folded_like_the_classroom(answer, right):
    kind, spec, _ = validate_spec(to_push(validate_step(STEPS[4])))
    assert check_answer(kind, spec, answer, 100)[2] is right


@pytest.mark.parametrize("bad, field", [
    ({"type": "video"}, "s.type"),
    ({"type": "message", "text": "x", "to": ["p1"]}, "s.to"),
    ({"type": "quiz", "kind": "single", "question": "q", "choices": ["a"]}, "s"),
    ({"type": "quiz", "kind": "number", "question": "q", "min": 3, "max": 1}, "s.min"),
    ({"type": "quiz", "kind": "multiple", "question": "q", "choices": ["a", "b"], "weights": [50]}, "s.weights"),
    ({"type": "quiz", "kind": "single", "question": "q", "choices": ["a", "b"], "feedback": ["x"]}, "s.feedback"),
    ({"type": "message", "text": "x" * 2001}, "s"),
])
def test_bad_steps_name_the_field(bad, field):
    with pytest.raises(LessonError) as err:
        validate_step(bad, "s")
    assert err.value.field == field


def test_too_many_steps_are_refused():
    with pytest.raises(LessonError, match="at most 500"):
        validate_steps([{"type": "pause"}] * 501)


def test_saved_lessons_come_back_in_order_and_only_to_their_owner(db):
    steps = validate_steps(STEPS)
    [mine] = save_lessons(db, [Lesson("Fractions", steps)], {"id": 1, "login": "a"}, "json")
    save_lessons(db, [Lesson("Autre", steps[:1])], {"id": 2, "login": "b"}, "json")
    assert get_lesson(db, mine, {"id": 1})["steps"] == steps
    assert get_lesson(db, mine, {"id": 2}) is None
    assert [row["title"] for row in list_lessons(db, {"id": 2})] == ["Autre"]


def test_a_failed_save_leaves_nothing_half_imported(db):
    bad = Lesson("B", [{"type": "pause", "x": {1, 2}}])  # not JSON-serialisable: fails mid-transaction
    with pytest.raises(TypeError):
        save_lessons(db, [Lesson("A", [{"type": "pause"}]), bad], {"id": 1, "login": "a"}, "json")
    assert db.execute("SELECT COUNT(*) FROM lessons").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM lesson_steps").fetchone()[0] == 0
