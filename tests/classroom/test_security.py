"""Authorization and hostile input: forged teacher events, floods, oversized and malformed events, XSS."""

from pathlib import Path

import pytest

import classbox

from classbox.auth.users import add_user

from tests.classroom.conftest import QUIZ_SPEC, ack, new_id, received

TEACHER_EVENTS = ["open_session", "watch", "push", "close_session", "rename_pupil", "remove_pupil"]


@pytest.mark.parametrize("event", TEACHER_EVENTS)
def test_a_pupil_cannot_emit_teacher_events(teacher_sio, pupil, event, db):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    before = db["classroom_activities"].count
    answer = ack(lea, event, {"code": code, "type": "message", "text": "pirate", "pupil_id": joined["pupil_id"],
                              "name": "X"})
    assert answer["ok"] is False and answer["error"] == "forbidden"
    assert db["classroom_activities"].count == before
    assert db["classroom_sessions"].get(1)["state"] == "open"


def test_anonymous_device_cannot_act_as_teacher(app, socketio_client, teacher_sio):
    _, code = teacher_sio
    stranger = socketio_client(flask_client=app.test_client())
    assert ack(stranger, "open_session", {"title": "x"})["error"] == "forbidden"
    assert ack(stranger, "watch", {"code": code})["error"] == "forbidden"


def test_a_teacher_sees_only_their_own_sessions(app, db, teacher_sio, socketio_client, login):
    _, code = teacher_sio
    add_user(db, "m.durand", "teacher", "another-pass-9")
    other_client = app.test_client()
    assert other_client.post("/login", data={"login": "m.durand", "password": "another-pass-9"}).status_code == 302
    other = socketio_client(flask_client=other_client)
    assert ack(other, "watch", {"code": code})["error"] == "forbidden"
    assert ack(other, "push", {"type": "message", "text": "x"})["error"] == "no_session"
    assert other_client.get(f"/api/sessions/{code}/results").status_code == 403
    assert other_client.get(f"/teacher/sessions/{code}").status_code == 403
    assert app.test_client().get(f"/api/sessions/{code}/results").status_code == 401


def test_pupils_never_see_others_answers(teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    activity = ack(teacher, "push", QUIZ_SPEC)["activity"]
    received(tom)
    assert ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": 0})["ok"]
    assert received(tom) == []
    assert [len(batch) for batch in received(teacher, "submission")] == [1]


def test_a_pupil_cannot_answer_an_activity_of_another_session(teacher_sio, pupil):
    teacher, code = teacher_sio
    other_code = ack(teacher, "open_session", {"title": "autre"})["code"]
    foreign = ack(teacher, "push", QUIZ_SPEC)["activity"]  # pushed in the other session
    lea, _ = pupil(code, "Léa")
    assert ack(lea, "submit", {"activity_id": foreign["id"], "submission_id": new_id(), "answer": 0})["error"] \
        == "unknown_activity"
    assert other_code != code


def test_join_flood_from_one_device_is_rate_limited(teacher_sio, pupil, db):
    _, code = teacher_sio
    sio, first = pupil(code, "Pupil0")
    answers = [ack(sio, "join", {"code": code, "name": f"Flood{i}"}) for i in range(20)]
    assert any(a.get("error") == "rate_limited" for a in answers)
    assert db["classroom_pupils"].count <= 6


def test_submit_flood_from_one_pupil_is_rate_limited(teacher_sio, pupil, db):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    activity = ack(teacher, "push", QUIZ_SPEC)["activity"]
    answers = [ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": 0})
               for _ in range(40)]
    assert sum(1 for a in answers if a.get("error") == "rate_limited") > 0
    assert db["classroom_submissions"].count == sum(1 for a in answers if a["ok"])
    # the server keeps serving others
    tom, joined = pupil(code, "Tom")
    assert joined["ok"]


def test_oversized_payloads_are_refused(app, teacher_sio, pupil, db):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    activity = ack(teacher, "push", {"type": "quiz", "kind": "text", "question": "?"})["activity"]
    huge = ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": "x" * 200_000})
    assert huge["error"] == "too_large"
    long = ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": "x" * 6000})
    assert long["error"] == "invalid_answer"
    assert ack(teacher, "push", {"type": "message", "text": "y" * 100_000})["error"] == "too_large"
    assert db["classroom_submissions"].count == 0


@pytest.mark.parametrize("payload", ["just a string", 42, [1, 2], {"code": ["A"]}, {"code": {"$gt": ""}}])
def test_malformed_events_get_a_clear_error(teacher_sio, pupil, payload):
    _, code = teacher_sio
    sio, _ = pupil(code, "Léa")
    answer = ack(sio, "join", payload)
    assert answer["ok"] is False and answer["error"] in ("malformed", "unknown_code")
    assert ack(sio, "submit", payload)["ok"] is False
    assert ack(sio, "no_such_event", {"x": 1})["error"] == "malformed"
    assert pupil(code, "Encore")[1]["ok"]  # still serving


def test_submit_before_joining(app, socketio_client):
    sio = socketio_client(flask_client=app.test_client())
    assert ack(sio, "submit", {"activity_id": "x", "submission_id": new_id(), "answer": 1})["error"] == "not_joined"


def test_markup_in_answers_is_escaped_on_the_dashboard_and_exports(client, teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    activity = ack(teacher, "push", {"type": "quiz", "kind": "text", "question": "<b>Q</b>"})["activity"]
    evil = "<script>alert('x')</script>"
    assert ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": evil})["ok"]
    assert ack(tom, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": "=HYPERLINK(1)"})["ok"]
    page = client.get(f"/teacher/sessions/{code}").get_data(as_text=True)
    assert "<script>alert" not in page
    svg = client.get(f"/teacher/sessions/{code}/activities/{activity['id']}/chart.svg").get_data(as_text=True)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    csv_text = client.get(f"/api/sessions/{code}/results?format=csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in csv_text
    document = client.get(f"/api/sessions/{code}/results").get_json()
    assert evil in [s["answer"] for s in document["submissions"]]  # JSON keeps the exact text
    # the dashboard JS inserts every pupil-supplied text with textContent, never innerHTML
    static = Path(classbox.__file__).parent / "static"
    js = "".join((static / name).read_text() for name in ("classroom-teacher.js", "classroom-pupil.js"))
    assert "innerHTML" not in js


def test_a_disabled_teacher_loses_the_live_dashboard(teacher_sio, db):
    from classbox.auth.users import set_disabled

    teacher, _ = teacher_sio
    set_disabled(db, "mme.martin", True)
    assert ack(teacher, "push", {"type": "message", "text": "x"})["error"] == "forbidden"
