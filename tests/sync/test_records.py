"""The record contract read by the statement builder: today's records, and rows queued by an older box."""

from __future__ import annotations

import pytest

from classbox.sync import records
from classbox.sync.clock import Dated
from classbox.sync.statements import StatementBuilder, StatementError

BUILDER = StatementBuilder("http://cb-1.classbox.invalid", "cb-1")
WHEN = Dated(1_800_000_000.0, True)
PUPIL: records.Pupil = {"id": "p-9c1e", "name": "Léa"}
SESSION: records.Session = {"id": 3, "code": "K7Q2AB", "title": "CM2 sciences", "teacher": "mme.martin"}


def test_a_row_queued_by_an_older_box_still_gives_the_teachers_words():
    # what the classroom queued before records.py: quiz `kind`, choices {id, text}, statement_id, created
    old = {"event": "answered", "statement_id": "x", "pupil": PUPIL, "session": {**SESSION},
           "activity": {"id": "a-1", "type": "quiz", "title": "Où va l'eau de pluie ?", "question": "Où va l'eau de pluie ?",
                        "kind": "single", "choices": [{"id": "0", "text": "Dans la rivière"},
                                                      {"id": "1", "text": "Dans le ciel"}]},
           "result": {"response": "0", "success": True, "score": {"raw": 1, "max": 1}},
           "created": {"wall": 0, "monotonic": 0, "seq": 1}}
    definition = BUILDER.build(old, "3fa85f64-5717-4562-b3fc-2c963f66afa6", 1, WHEN)["object"]["definition"]
    assert definition["interactionType"] == "choice"
    assert definition["choices"] == [{"id": "0", "description": {"fr-FR": "Dans la rivière"}},
                                     {"id": "1", "description": {"fr-FR": "Dans le ciel"}}]


def test_attendance_has_no_empty_result():
    statement = BUILDER.build(records.attended(PUPIL, SESSION), records.statement_id("attended", "p-9c1e"), 1, WHEN)
    assert "result" not in statement
    assert statement["object"]["id"] == "http://cb-1.classbox.invalid/sessions/3"


def test_a_choice_question_without_its_choices_is_refused_not_sent_half_empty():
    activity: records.Activity = {"id": "a-1", "type": "quiz", "title": "Q", "question": "Q", "interaction": "choice"}
    with pytest.raises(StatementError, match="choices"):
        BUILDER.build(records.answered(PUPIL, SESSION, activity, "0", None), "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                      1, WHEN)


LESSON: records.Lesson = {"id": 7, "title": "Le cycle de l'eau", "steps": 4, "release": "r-1"}


def test_a_completed_lesson_without_graded_steps_has_completion_and_no_score():
    statement = BUILDER.build(records.completed(PUPIL, SESSION, LESSON, 0, 0),
                              records.statement_id(records.COMPLETED, "r-1:p-9c1e"), 1, WHEN)
    assert statement["result"] == {"completion": True}
    assert statement["object"]["id"] == "http://cb-1.classbox.invalid/lessons/7"
    assert [p["id"] for p in statement["context"]["contextActivities"]["parent"]] == [
        "http://cb-1.classbox.invalid/sessions/3"]


def test_a_completed_record_without_its_lesson_is_refused_not_sent_half_empty():
    record = records.completed(PUPIL, SESSION, LESSON, 1, 2)
    del record["lesson"]
    with pytest.raises(StatementError, match="lesson"):
        BUILDER.build(record, "3fa85f64-5717-4562-b3fc-2c963f66afa6", 1, WHEN)
