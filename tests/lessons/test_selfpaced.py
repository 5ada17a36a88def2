"""A lesson released for self-paced work (`release`): each pupil answers every step once, at their own pace."""

from __future__ import annotations

from classbox.sync.records import COMPLETED, statement_id
from tests.helpers import ack, new_id, received
from tests.lessons.conftest import RIGHT, SECRETS, WRONG


def released(sio, pupil_sio, lesson_id):
    answer = ack(sio, "release", {"lesson_id": lesson_id})
    assert answer["ok"], answer
    [view] = received(pupil_sio, "release")
    return answer["release"], view


def answer(pupil_sio, view, step, value, submission_id=None):
    return ack(pupil_sio, "lesson_answer", {"activity_id": view["steps"][step]["id"],
                                            "submission_id": submission_id or new_id(), "answer": value})


def test_release_sends_every_step_without_answers_and_feedback_comes_after_answering(teacher_sio, pupil, save_lesson):
    sio, code = teacher_sio
    lesson_id = save_lesson()
    lea, _ = pupil(code, "Léa")
    release, view = released(sio, lea, lesson_id)
    assert release["title"] == "Fractions 5e" and release["steps"] == 8
    assert [s["step"] for s in view["steps"]] == list(range(8)) and view["results"] == {}
    assert view["steps"][1]["choices"] == ["2/4", "1/3", "2/3"] and "remaining_s" not in view["steps"][1]
    assert view["steps"][6]["accept"] == ["text"]
    got = answer(lea, view, 1, 2)
    assert got["ok"] and got["step"] == 1 and not got["duplicate"]
    assert got["result"] == {"correct": False, "feedback": "Non : 2/3 > 1/2", "solution": 0,
                             "general_feedback": "Multiplier en haut et en bas par 2."}
    text = answer(lea, view, 3, " LUTECE ")["result"]
    assert text["correct"] is True and text["feedback"] == "Oui, l'ancien nom." and text["solution"] == ["Paris", "Lutèce"]
    assert answer(lea, view, 4, "0,5")["result"]["solution"] == {"min": 0.49, "max": 0.51}
    again = ack(lea, "lesson_state", {})["release"]
    assert set(again["results"]) == {view["steps"][i]["id"] for i in (1, 3, 4)}


def test_a_step_is_answered_once_and_a_resent_answer_is_acknowledged_again(teacher_sio, pupil, save_lesson, db):
    sio, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    _, view = released(sio, lea, save_lesson())
    first = new_id()
    assert answer(lea, view, 1, 2, first)["ok"]
    resent = answer(lea, view, 1, 2, first)
    assert resent["ok"] and resent["duplicate"] and resent["result"]["feedback"] == "Non : 2/3 > 1/2"
    changed = answer(lea, view, 1, 0)  # seen the right answer: no second chance
    assert changed["ok"] is False and changed["error"] == "already_answered"
    assert db.execute("SELECT COUNT(*) FROM classroom_submissions").fetchone()[0] == 1


def test_the_dashboard_sees_each_pupils_progress_and_completion_queues_the_score(teacher_sio, pupil, save_lesson, db):
    sio, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    release, view = released(sio, lea, save_lesson())
    received(tom)
    assert ack(tom, "lesson_at", {"release_id": release["release_id"], "step": 2})["ok"]
    [[at]] = received(sio, "lesson_progress")
    assert at["step"] == 2 and at["release_id"] == release["release_id"]  # where Tom is; answers come with each answer
    for step, value in enumerate(RIGHT):
        if value is not None:
            assert answer(lea, view, step, value)["ok"], step
    for step in (1, 2):
        assert answer(tom, view, step, WRONG[step])["ok"]
    last = {p["pupil_id"]: p for batch in received(sio, "lesson_progress") for p in batch}
    status = ack(sio, "lesson_status", {})["release"]["progress"]
    by_name = {p["name"]: p for p in status}
    assert (by_name["Léa"]["answered"], by_name["Léa"]["correct"], by_name["Léa"]["completed"]) == (6, 4, True)
    assert (by_name["Tom"]["answered"], by_name["Tom"]["completed"], by_name["Tom"]["step"]) == (2, False, 2)
    assert last[by_name["Léa"]["pupil_id"]]["completed"] is True
    rows = db.execute("SELECT idempotency_key, payload FROM outbox WHERE payload LIKE '%\"completed\"%'").fetchall()
    assert [r[0] for r in rows] == [statement_id(COMPLETED, f"{release['release_id']}:{by_name['Léa']['pupil_id']}")]
    assert '"score":{"raw":4,"max":4}' in rows[0][1]


def test_stopped_release_refuses_answers_and_pupils_are_told(teacher_sio, pupil, save_lesson):
    sio, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    release, view = released(sio, lea, save_lesson())
    assert ack(sio, "stop_release", {"release_id": release["release_id"]})["ok"]
    assert received(lea, "release_stopped") == [{"release_id": release["release_id"]}]
    refused = answer(lea, view, 1, 0)
    assert refused["ok"] is False and refused["error"] == "not_released"
    assert ack(lea, "lesson_at", {"release_id": release["release_id"], "step": 1})["error"] == "not_released"
    assert ack(lea, "lesson_state", {})["release"] is None
    assert ack(sio, "stop_release", {"release_id": "nope"})["error"] == "no_release"


def test_pupils_cannot_answer_a_step_that_is_not_released_to_them(teacher_sio, pupil, save_lesson, app, client,
                                                                 socketio_client):
    sio, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    _, view = released(sio, lea, save_lesson())
    live = ack(sio, "play", {"lesson_id": save_lesson(), "step": 1})["activity"]
    assert answer(lea, {"steps": [live] * 2}, 1, 0)["error"] == "unknown_activity"  # a live step is not self-paced
    step = view["steps"][1]["id"]  # self-paced steps are not answerable through the live `submit`
    assert ack(lea, "submit", {"activity_id": step, "submission_id": new_id(), "answer": 0})["error"] == "unknown_activity"
    assert ack(lea, "lesson_at", {"release_id": view["release_id"], "step": 8})["error"] == "step_out_of_range"
    other = socketio_client()  # another session of the same teacher
    sam, _ = pupil(ack(other, "open_session", {"title": "Autre"})["code"], "Sam")
    assert answer(sam, view, 1, 0)["error"] == "unknown_activity"
    assert ack(sam, "lesson_at", {"release_id": view["release_id"], "step": 1})["error"] == "unknown_activity"
    assert ack(socketio_client(flask_client=app.test_client()), "lesson_answer",
               {"activity_id": step, "submission_id": new_id(), "answer": 0})["error"] == "not_joined"
    assert answer(lea, view, 1, "zéro")["error"] == "invalid_answer"


def test_nothing_the_pupil_receives_before_answering_holds_an_answer_or_a_feedback(teacher_sio, pupil, save_lesson):
    sio, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    _, view = released(sio, lea, save_lesson())
    state = ack(lea, "lesson_state", {})
    assert not [s for s in SECRETS if s in repr(view) + repr(state)]
