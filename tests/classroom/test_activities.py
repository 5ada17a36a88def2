"""Pushing activities and answering them: quiz kinds, hand-ins, targets, replay, idempotency."""

import json
import time

import pytest

from classbox.classroom.activities import check_answer, validate_spec
from classbox.classroom.errors import ClassroomError
from classbox.sync.records import statement_id

from tests.classroom.conftest import ack, new_id, received

QUIZ = {"type": "quiz", "kind": "single", "question": "2 + 2 ?", "choices": ["3", "4", "5"], "correct": 1}


def test_push_reaches_every_pupil_without_the_correct_answer(teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    pushed = ack(teacher, "push", QUIZ)
    assert pushed["ok"] and pushed["activity"]["spec"]["correct"] == [1]
    for sio in (lea, tom):
        [activity] = received(sio, "activity")
        assert activity == {"id": pushed["activity"]["id"], "type": "quiz", "kind": "single",
                            "question": "2 + 2 ?", "choices": ["3", "4", "5"]}


@pytest.mark.parametrize("spec", [
    {"type": "message", "text": "Sortez vos cahiers"},
    {"type": "pause"},
    {"type": "resource", "resource_id": "cycle-de-leau", "title": "Le cycle de l'eau"},
    {"type": "handin", "instructions": "Photographiez votre schéma", "accept": ["photo"]},
    {"type": "quiz", "kind": "multiple", "question": "Pairs ?", "choices": ["1", "2", "4"], "correct": [1, 2]},
    {"type": "quiz", "kind": "text", "question": "Capitale ?", "correct": ["Paris"]},
    {"type": "quiz", "kind": "number", "question": "Pi ?", "correct": 3.14, "tolerance": 0.01, "duration_s": 30},
])
def test_every_activity_type_is_pushed(teacher_sio, pupil, spec):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    assert ack(teacher, "push", spec)["ok"]
    [activity] = received(lea, "activity")
    assert activity["type"] == spec["type"] and "correct" not in activity
    if spec["type"] == "resource":
        assert activity["url"] == "/library/cycle-de-leau"
    if spec["type"] == "pause":
        assert activity["text"]
    if "duration_s" in spec:
        assert 0 < activity["remaining_s"] <= 30


@pytest.mark.parametrize("bad", [
    None, [], "quiz", {"type": "video"}, {"type": "message"}, {"type": "message", "text": "x" * 2001},
    {"type": "quiz", "kind": "single", "question": "?", "choices": ["only one"]},
    {"type": "quiz", "kind": "single", "question": "?", "choices": ["a", "b"], "correct": 5},
    {"type": "quiz", "kind": "essay", "question": "?"},
    {"type": "quiz", "kind": "number", "question": "?", "duration_s": 1},
    {"type": "resource", "title": "x", "url": "https://evil.example/"},
    {"type": "resource", "title": "x", "url": "//evil.example/"},
    {"type": "handin", "instructions": "x", "accept": ["video"]},
    {"type": "message", "text": "x", "to": "everyone"},
])
def test_malformed_pushes_are_refused(teacher_sio, pupil, bad):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    answer = ack(teacher, "push", bad)
    assert answer["ok"] is False and answer["error"] in ("malformed", "invalid_activity")
    assert received(lea, "activity") == []


def test_push_to_selected_pupils_only(teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    assert ack(teacher, "push", {"type": "message", "text": "Pour Léa", "to": [joined["pupil_id"]]})["ok"]
    assert [a["text"] for a in received(lea, "activity")] == ["Pour Léa"]
    assert received(tom, "activity") == []
    assert ack(teacher, "push", {"type": "message", "text": "x", "to": ["stranger"]})["error"] == "unknown_pupil"


def test_current_activity_is_replayed_on_rejoin(teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    pushed = ack(teacher, "push", QUIZ)["activity"]
    lea.disconnect(namespace="/classroom")
    _, again = pupil(code, token=joined["token"])
    assert again["activity"]["id"] == pushed["id"] and "correct" not in again["activity"]
    _, newcomer = pupil(code, "Tom")
    assert newcomer["activity"]["id"] == pushed["id"]


def test_answer_is_acked_stored_queued_and_shown_to_the_teacher(teacher_sio, pupil, db):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    activity = ack(teacher, "push", QUIZ)["activity"]
    received(teacher)
    sid = new_id()
    answer = ack(lea, "submit", {"activity_id": activity["id"], "submission_id": sid, "answer": 1})
    assert answer == {"ok": True, "submission_id": sid, "duplicate": False}
    row = db["classroom_submissions"].get(sid)
    assert row["pupil_id"] == joined["pupil_id"] and row["correct"] == 1 and json.loads(row["answer"]) == 1
    [queued] = list(db.query("SELECT * FROM outbox WHERE payload LIKE '%answered%'"))
    payload = json.loads(queued["payload"])
    assert payload["event"] == "answered" and payload["result"]["success"] is True
    assert payload["result"]["score"] == {"raw": 1, "max": 1} and payload["activity"]["question"] == "2 + 2 ?"
    assert queued["idempotency_key"] == statement_id("answered", sid)
    [[shown]] = received(teacher, "submission")
    assert shown["pupil_name"] == "Léa" and shown["answer"] == 1 and shown["correct"] is True


def test_duplicate_submission_ids_are_idempotent(teacher_sio, pupil, db):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    activity = ack(teacher, "push", QUIZ)["activity"]
    received(teacher)
    sid = new_id()
    first = ack(lea, "submit", {"activity_id": activity["id"], "submission_id": sid, "answer": 1})
    again = ack(lea, "submit", {"activity_id": activity["id"], "submission_id": sid, "answer": 1})
    assert first["ok"] and again == {"ok": True, "submission_id": sid, "duplicate": True}
    stolen = ack(tom, "submit", {"activity_id": activity["id"], "submission_id": sid, "answer": 0})
    assert stolen["error"] == "duplicate_id"
    assert db["classroom_submissions"].count == 1
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE payload LIKE '%answered%'").fetchone()[0] == 1
    assert [len(batch) for batch in received(teacher, "submission")] == [1]


@pytest.mark.parametrize("spec,good,bad", [
    (QUIZ, 2, [7, -1, "1", True, [1], None]),
    ({"type": "quiz", "kind": "multiple", "question": "?", "choices": ["a", "b", "c"]}, [0, 2], [[], [0, 0], [5], 1]),
    ({"type": "quiz", "kind": "text", "question": "?"}, "Paris", ["", "   ", 12, "x" * 5001]),
    ({"type": "quiz", "kind": "number", "question": "?"}, "3,5", ["abc", "nan", "inf", True, None]),
    ({"type": "handin", "instructions": "Écris", "accept": ["text"]}, {"text": "Mon texte"}, [{"text": ""}, 5]),
])
def test_answers_are_validated(teacher_sio, pupil, db, spec, good, bad):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    activity = ack(teacher, "push", spec)["activity"]
    for value in bad:
        result = ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": value})
        assert result["ok"] is False and result["error"] in ("invalid_answer", "too_large"), value
    assert ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": good})["ok"]
    assert db["classroom_submissions"].count == 1


def test_scoring_rules():
    _, spec, _ = validate_spec({"type": "quiz", "kind": "text", "question": "?", "correct": ["Élève"]})
    assert check_answer("quiz", spec, "  eleve ", 100)[2] is True
    _, spec, _ = validate_spec({"type": "quiz", "kind": "number", "question": "?", "correct": "0,5", "tolerance": 0})
    assert check_answer("quiz", spec, "0.5", 100)[1:] == ("0.5", True)
    assert check_answer("quiz", spec, 1, 100)[2] is False
    with pytest.raises(ClassroomError):
        check_answer("message", {"text": "x"}, "hello", 100)


def test_answer_to_a_non_question_or_unknown_activity(teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    message = ack(teacher, "push", {"type": "message", "text": "Bonjour"})["activity"]
    assert ack(lea, "submit", {"activity_id": message["id"], "submission_id": new_id(), "answer": "x"})["error"] \
        == "not_answerable"
    assert ack(lea, "submit", {"activity_id": "nope", "submission_id": new_id(), "answer": 1})["error"] \
        == "unknown_activity"
    assert ack(lea, "submit", {"activity_id": message["id"], "submission_id": "not-a-uuid", "answer": 1})["error"] \
        == "malformed"


def test_countdown_closes_the_question(app, teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    activity = ack(teacher, "push", {**QUIZ, "duration_s": 10})["activity"]
    service = app.extensions["classroom"]
    service.rules.deadlines[activity["id"]] -= 60  # the countdown ended a minute ago
    late = ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": 1})
    assert late["error"] == "time_up"


def test_a_countdown_survives_a_restart_and_is_replayed_on_join(app, teacher_sio, pupil):
    teacher, code = teacher_sio
    service = app.extensions["classroom"]
    pushed_at = time.time()
    service.rules.wall = lambda: pushed_at
    activity = ack(teacher, "push", {**QUIZ, "duration_s": 30})["activity"]
    service.rules.deadlines.clear()  # a restart loses what the process kept in memory
    service.rules.rows.clear()
    service.rules.wall = lambda: pushed_at + 5  # the box is back 5 s later
    lea, joined = pupil(code, "Léa")
    assert joined["activity"]["id"] == activity["id"]
    assert joined["activity"]["remaining_s"] == 25, "the countdown went on from the stored end"
    service.rules.deadlines.clear()
    service.rules.wall = lambda: pushed_at + 60  # back a minute later: the question is over
    assert ack(lea, "join", {"code": code, "token": joined["token"]})["activity"]["remaining_s"] == 0
    late = ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": 1})
    assert late["error"] == "time_up"


def test_answers_after_close_are_refused(teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    activity = ack(teacher, "push", QUIZ)["activity"]
    ack(teacher, "close_session")
    assert received(lea, "closed") == [{"code": code}]
    assert ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": 1})["error"] \
        == "closed"
