"""The same self-paced answer twice in one writer batch (a queued answer re-sent on reconnect): acked, stored once."""

from __future__ import annotations

from classbox.lessons.selfpaced import LessonAnswer, store_lesson_answers
from tests.helpers import new_id
from tests.lessons.test_selfpaced import released


def _batch(app, items):
    classroom = app.extensions["classroom"]
    return classroom.writer.run(lambda db: store_lesson_answers(db, [(classroom.rules, item) for item in items]))


def test_a_resent_answer_in_the_same_batch_is_a_duplicate_not_a_refusal(teacher_sio, pupil, save_lesson, app, db):
    sio, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    _, view = released(sio, lea, save_lesson())
    session_id = db.execute("SELECT session_id FROM classroom_pupils WHERE id = ?", [joined["pupil_id"]]).fetchone()[0]
    item = LessonAnswer(session_id, joined["pupil_id"], new_id(), view["steps"][1]["id"], 2)
    first, again = _batch(app, [item, item])
    assert first["new"] is True and again["new"] is False, again
    assert again["result"] == first["result"] and again["step"] == 1
    other = item._replace(submission_id=new_id(), answer=0)  # a second, different answer: refused
    [changed] = _batch(app, [other])
    assert changed.code == "already_answered"
    assert db.execute("SELECT COUNT(*) FROM classroom_submissions").fetchone()[0] == 1
    both = _batch(app, [item._replace(activity_id=view["steps"][2]["id"], submission_id=new_id(), answer=[1, 0]),
                        item._replace(activity_id=view["steps"][2]["id"], submission_id=new_id(), answer=[0])])
    assert both[0]["new"] is True and both[1].code == "already_answered", "two different answers in one batch"
