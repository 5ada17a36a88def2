"""An H5P exercise pushed as an activity, and the scores a device reports for it (hostile ones refused)."""

from __future__ import annotations

import pytest

from classbox.classroom.activities import check_answer, validate_spec
from classbox.classroom.errors import ClassroomError


def test_an_h5p_push_names_a_library_resource():
    kind, spec, targets = validate_spec({"type": "h5p", "resource_id": "0123456789abcdef", "title": "Capitales"})
    assert (kind, targets) == ("h5p", None)
    assert spec == {"resource_id": "0123456789abcdef", "url": "/library/0123456789abcdef", "title": "Capitales"}
    for bad in ({"type": "h5p", "title": "x"}, {"type": "h5p", "resource_id": "../x y", "title": "x"},
                {"type": "h5p", "resource_id": "0123456789abcdef"}):
        with pytest.raises(ClassroomError):
            validate_spec(bad)


@pytest.mark.parametrize("answer, stored, correct", [
    ({"score": 2, "max": 3}, {"score": 2, "max": 3, "completed": False}, False),
    ({"score": 3, "max": 3, "completed": True}, {"score": 3, "max": 3, "completed": True}, True),
    ({"score": 1.5, "max": 2, "success": True, "response": "Paris"},
     {"score": 1.5, "max": 2, "completed": False, "success": True, "response": "Paris"}, True),
    ({"score": 0, "max": 0}, {"score": 0, "max": 0, "completed": False}, None),
])
def test_a_score_is_stored_with_its_verdict(answer, stored, correct):
    value, _response, verdict = check_answer("h5p", {}, answer, 500)
    assert (value, verdict) == (stored, correct)


@pytest.mark.parametrize("answer", [
    None, 3, "3/3", [], {"score": 4, "max": 3}, {"score": -1, "max": 3}, {"score": "2", "max": "3"},
    {"score": True, "max": 1}, {"score": 1}, {"score": 1, "max": 10 ** 9}, {"score": float("nan"), "max": 1},
    {"score": 1, "max": 1, "response": "x" * 501}, {"score": 1, "max": 1, "success": "yes"},
    {"score": 1, "max": 1, "response": 42},
])
def test_hostile_scores_are_refused(answer):
    with pytest.raises(ClassroomError) as refused:
        check_answer("h5p", {}, answer, 500)
    assert refused.value.code == "invalid_answer"
