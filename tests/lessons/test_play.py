"""Playing a lesson live in a session (`play`): pupils get each step as with `push`, with its place in the lesson."""

from __future__ import annotations

import pytest

from classbox.auth.users import add_user
from classbox.lessons.steps import validate_steps
from classbox.lessons.store import Lesson, find_owner, save_lessons
from tests.helpers import ack, new_id, received
from tests.lessons.conftest import RIGHT, STEPS, WRONG


def test_play_sends_the_step_as_push_would_with_its_place_in_the_lesson(teacher_sio, pupil, save_lesson):
    sio, code = teacher_sio
    lesson_id = save_lesson()
    lea, _ = pupil(code, "Léa")
    played = ack(sio, "play", {"lesson_id": lesson_id, "step": 1})
    assert played["ok"], played
    assert played["lesson"] == {"id": lesson_id, "title": "Fractions 5e", "step": 1, "steps": 8}
    [activity] = received(lea, "activity")
    assert activity["lesson"] == {"id": lesson_id, "title": "Fractions 5e", "step": 1, "steps": 8}
    assert activity["question"] == "1/2 = ?" and activity["choices"] == ["2/4", "1/3", "2/3"]
    assert 29 <= activity["remaining_s"] <= 30
    assert not {"correct", "feedback", "general_feedback", "weights"} & set(activity)
    answer = ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": 0})
    assert answer["ok"] and not answer["duplicate"]
    [pushed] = [e for e in received(sio, "pushed")]
    assert pushed["spec"]["correct"] == [0] and pushed["spec"]["lesson"]["step"] == 1


def test_next_and_previous_replay_steps_and_a_late_pupil_gets_the_current_one(teacher_sio, pupil, save_lesson):
    sio, code = teacher_sio
    lesson_id = save_lesson()
    for step in (0, 1, 2, 1):
        assert ack(sio, "play", {"lesson_id": lesson_id, "step": step})["ok"]
    _, joined = pupil(code, "Tom")
    assert joined["activity"]["lesson"]["step"] == 1 and joined["activity"]["question"] == "1/2 = ?"
    status = ack(sio, "lesson_status", {})
    assert status["live"]["step"] == 1 and status["release"] is None


def test_summary_counts_each_pupils_latest_answer_per_step_and_the_share_right(teacher_sio, pupil, save_lesson):
    sio, code = teacher_sio
    lesson_id = save_lesson()
    lea, _ = pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    for step in range(8):
        activity = ack(sio, "play", {"lesson_id": lesson_id, "step": step})["activity"]
        if RIGHT[step] is None:
            continue
        for who, answers in ((lea, RIGHT), (tom, WRONG)):
            assert ack(who, "submit", {"activity_id": activity["id"], "submission_id": new_id(),
                                       "answer": answers[step]})["ok"], step
    again = ack(sio, "play", {"lesson_id": lesson_id, "step": 1})["activity"]  # Tom corrects himself
    assert ack(tom, "submit", {"activity_id": again["id"], "submission_id": new_id(), "answer": 0})["ok"]
    summary = ack(sio, "lesson_summary", {"lesson_id": lesson_id})["summary"]
    assert summary["graded"] == 4 and summary["steps_total"] == 8
    shares = {s["step"]: s["share"] for s in summary["steps"]}
    assert shares == {0: None, 1: 1.0, 2: 0.5, 3: 0.5, 4: 0.5, 5: None, 6: None, 7: None}
    assert {p["name"]: (p["correct"], p["graded"]) for p in summary["pupils"]} == {"Léa": (4, 4), "Tom": (1, 4)}
    projected = ack(sio, "lesson_summary", {"lesson_id": lesson_id, "names": False})["summary"]
    assert "pupils" not in projected and "Léa" not in repr(projected) and projected["steps"] == summary["steps"]


def test_unknown_lesson_another_teachers_lesson_and_steps_out_of_range_are_refused(teacher_sio, db, save_lesson):
    sio, _code = teacher_sio
    add_user(db, "m.durand", "teacher", "autre-secret-42")
    theirs = save_lessons(db, [Lesson("À moi", validate_steps(STEPS[:2]))], find_owner(db, "m.durand"), "json")[0]
    mine = save_lesson()
    for payload, code in (({"lesson_id": 999, "step": 0}, "unknown_lesson"),
                          ({"lesson_id": theirs, "step": 0}, "unknown_lesson"),
                          ({"lesson_id": mine, "step": 8}, "step_out_of_range"),
                          ({"lesson_id": mine, "step": -1}, "step_out_of_range"),
                          ({"lesson_id": mine, "step": "2"}, "malformed"),
                          ({"lesson_id": "1", "step": 0}, "malformed"),
                          ({"lesson_id": True, "step": 0}, "malformed")):
        refused = ack(sio, "play", payload)
        assert refused["ok"] is False and refused["error"] == code, (payload, refused)
    empty = save_lessons(db, [Lesson("Vide", [])], find_owner(db, "mme.martin"), "json")[0]
    assert ack(sio, "play", {"lesson_id": empty, "step": 0})["error"] == "empty_lesson"
    assert ack(sio, "release", {"lesson_id": empty})["error"] == "empty_lesson"
    out = ack(sio, "play", {"lesson_id": mine, "step": 8})
    assert out["message"] == "Cette leçon n'a pas d'étape 9 (elle en a 8)."
    assert ack(sio, "release", {"lesson_id": theirs})["error"] == "unknown_lesson"
    assert ack(sio, "lesson_summary", {"lesson_id": "x"})["error"] == "malformed"


def test_play_and_release_in_a_closed_session_are_refused(teacher_sio, save_lesson):
    sio, _code = teacher_sio
    lesson_id = save_lesson()
    assert ack(sio, "close_session", {})["ok"]
    assert ack(sio, "play", {"lesson_id": lesson_id, "step": 0})["error"] == "closed"
    assert ack(sio, "release", {"lesson_id": lesson_id})["error"] == "closed"


def test_pupils_cannot_play_release_or_stop(teacher_sio, pupil, save_lesson):
    _sio, code = teacher_sio
    lesson_id = save_lesson()
    lea, _ = pupil(code, "Léa")
    for name, payload in (("play", {"lesson_id": lesson_id, "step": 0}), ("release", {"lesson_id": lesson_id}),
                          ("stop_release", {"release_id": "x"}), ("lesson_summary", {"lesson_id": lesson_id}),
                          ("lesson_status", {})):
        assert ack(lea, name, payload)["error"] == "forbidden", name


@pytest.mark.parametrize("lang, said", [("fr", "ressource retirée de la bibliothèque"),
                                        ("en", "resource removed from the library")])
def test_a_step_whose_resource_was_removed_says_so_and_the_lesson_goes_on(app, client, teacher, login,
                                                                          socketio_client, save_lesson, lang, said):
    login(teacher)
    sio = socketio_client(auth={"lang": lang})
    assert ack(sio, "open_session", {"title": "Séance"})["ok"]
    lesson_id = save_lesson([{"type": "resource", "title": "La vidéo des fractions", "resource_id": "gone-video"},
                             {"type": "message", "text": "Suite"}])
    refused = ack(sio, "play", {"lesson_id": lesson_id, "step": 0})
    assert refused["ok"] is False and refused["error"] == "missing_resource"
    assert said in refused["message"] and "La vidéo des fractions" in refused["message"]
    assert ack(sio, "play", {"lesson_id": lesson_id, "step": 1})["ok"]
    shown = client.get(f"/api/lessons/{lesson_id}").get_json()
    assert shown["steps"][0]["missing"] is True
