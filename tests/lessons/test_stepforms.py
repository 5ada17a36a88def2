"""A step's form and back (pure): what a teacher types, the step it makes, what an edit keeps."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from classbox.lessons.stepforms import form_values, step_from_form
from classbox.lessons.steps import LessonError

RANGE = {"type": "quiz", "kind": "number", "question": "Entre 1 et 2 ?", "min": 1.0, "max": 2.0, "feedback": ["Oui"]}


def form(**fields) -> MultiDict:
    return MultiDict([(k, v) for k, values in fields.items() for v in (values if isinstance(values, list) else [values])])


def test_a_numeric_range_shows_as_value_and_tolerance_and_is_kept_when_unchanged():
    values = form_values(RANGE)
    assert (values["answer"], values["tolerance"]) == ("1,5", "0,5")
    assert step_from_form("quiz", "number", form(question="Entre 1 et 2 ?", answer="1,5", tolerance="0,5"), RANGE) == RANGE
    changed = step_from_form("quiz", "number", form(question="Entre 1 et 2 ?", answer="3,14 ± 0,01"), RANGE)
    assert changed == {"type": "quiz", "kind": "number", "question": "Entre 1 et 2 ?", "correct": 3.14,
                       "tolerance": 0.01, "feedback": ["Oui"]}


def test_choices_drop_blanks_renumber_the_right_one_and_keep_feedback_only_if_unchanged():
    old = {"type": "quiz", "kind": "single", "question": "?", "choices": ["a", "b"], "correct": 1,
           "feedback": ["non", "oui"], "weights": [0.0, 100.0]}
    same = step_from_form("quiz", "single", form(question="?", **{"choice-0": "a", "choice-3": "b"}, correct="3"), old)
    assert same == old
    other = step_from_form("quiz", "single", form(question="?", **{"choice-0": "", "choice-1": "x", "choice-2": "b"},
                                                  correct="2"), old)
    assert other == {"type": "quiz", "kind": "single", "question": "?", "choices": ["x", "b"], "correct": 1}


@pytest.mark.parametrize("fields, field", [
    ({"question": "?", "answer": "trois"}, "answer"),
    ({"question": "?", "answer": "3", "tolerance": "-1"}, "tolerance"),
    ({"question": "?", "duration_s": "2.5"}, "duration_s"),
])
def test_bad_numbers_name_their_field(fields, field):
    with pytest.raises(LessonError) as refused:
        step_from_form("quiz", "number", form(**fields))
    assert refused.value.field == field


def test_a_countdown_outside_5_to_3600_is_refused_like_push_refuses_it():
    with pytest.raises(LessonError, match="duration_s: 5 to 3600"):
        step_from_form("quiz", "text", form(question="?", duration_s="4"))
    assert step_from_form("quiz", "text", form(question="?", duration_s="3600"))["duration_s"] == 3600
