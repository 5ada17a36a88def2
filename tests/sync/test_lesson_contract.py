"""Lessons' real records, from `play`/`release` through the outbox to a real ralph: each step's statement has the
lesson as a parent, and a pupil finishing a self-paced lesson gives a `completed` statement with the score."""

from __future__ import annotations

import uuid

import pytest

from classbox import create_app
from classbox.auth.users import add_user
from classbox.extensions import socketio
from classbox.lessons.steps import validate_steps
from classbox.lessons.store import Lesson, find_owner, save_lessons
from classbox.storage import open_database
from tests.sync.conftest import lrs_config
from tests.sync.test_classroom_contract import validate_with_ralph
from tests.sync.test_xapi import drain

pytestmark = pytest.mark.peer
NS = "/classroom"
STEPS = [
    {"type": "message", "text": "Le cycle de l'eau."},
    {"type": "quiz", "kind": "single", "question": "Où va l'eau de pluie ?", "choices": ["Rivière", "Ciel"], "correct": 0},
    {"type": "quiz", "kind": "number", "question": "Combien de saisons ?", "correct": 4},
    {"type": "handin", "instructions": "Dessine le cycle.", "accept": ["text"]},
]


def call(client, event: str, data: dict) -> dict:
    answer = client.emit(event, data, namespace=NS, callback=True)
    assert answer["ok"], (event, answer)
    return answer


def run_a_lesson(config) -> tuple[int, str, str]:
    """Step 1 played live and answered; then the lesson released and Léa finishes it: (lesson, release, live step)."""
    app = create_app(config)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    db = open_database(config.data_dir)
    add_user(db, "mme.martin", "teacher", "correct-horse-1", "Mme Martin")
    lesson_id = save_lessons(db, [Lesson("Le cycle de l'eau", validate_steps(STEPS))], find_owner(db, None), "json")[0]
    db.conn.close()
    web = app.test_client()
    assert web.post("/login", data={"login": "mme.martin", "password": "correct-horse-1"}).status_code == 302
    teacher = socketio.test_client(app, namespace=NS, flask_test_client=web)
    code = call(teacher, "open_session", {"title": "CM2 sciences"})["code"]
    lea = socketio.test_client(app, namespace=NS, flask_test_client=app.test_client())
    call(lea, "join", {"code": code, "name": "Léa"})
    live = call(teacher, "play", {"lesson_id": lesson_id, "step": 1})["activity"]["id"]
    call(lea, "submit", {"activity_id": live, "submission_id": str(uuid.uuid4()), "answer": 0})
    release = call(teacher, "release", {"lesson_id": lesson_id})["release"]["release_id"]
    steps = call(lea, "lesson_state", {})["release"]["steps"]
    for step, answer in ((1, 1), (2, "4"), (3, {"text": "Évaporation, nuages, pluie."})):
        call(lea, "lesson_answer", {"activity_id": steps[step]["id"], "submission_id": str(uuid.uuid4()),
                                    "answer": answer})
    lea.disconnect(namespace=NS)
    teacher.disconnect(namespace=NS)
    app.extensions["classroom"].writer.settle()  # what the box commits within seconds (answers journaled)
    app.extensions["classbox_db_pool"].close()
    return lesson_id, release, live


def test_lesson_steps_have_the_lesson_as_parent_and_completion_carries_the_score(tmp_path, ralph):
    config = lrs_config(tmp_path, ralph)
    lesson_id, release, live = run_a_lesson(config)
    assert drain(config)["dead"] == 0
    box = config["box"]["id"]
    home = f"http://{box}.classbox.invalid"
    ours = [s for s in ralph.stored() if s["context"]["extensions"].get(f"{home}/xapi/ext/box") == box]
    assert validate_with_ralph(ours) == [None] * len(ours)
    lesson_activity = f"{home}/lessons/{lesson_id}"
    steps = [s for s in ours if s["verb"]["id"].endswith(("/answered", "/completed"))
             and s["object"]["id"] != lesson_activity]
    assert len(steps) == 4  # the live answer, then three self-paced ones (the hand-in too)
    for statement in steps:
        parents = statement["context"]["contextActivities"]["parent"]
        assert [p["id"].rsplit("/", 2)[1] for p in parents] == ["sessions", "lessons"], parents
        assert parents[1] == {"objectType": "Activity", "id": lesson_activity,
                              "definition": {"type": "http://adlnet.gov/expapi/activities/lesson",
                                             "name": {"fr-FR": "Le cycle de l'eau"}}}
    live_statement = next(s for s in steps if s["object"]["id"].endswith(live))
    assert live_statement["context"]["extensions"][f"{home}/xapi/ext/lesson-step"] == 1
    [done] = [s for s in ours if s["object"]["id"] == lesson_activity]
    assert done["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert done["result"]["completion"] is True
    assert done["result"]["score"] == {"raw": 1, "min": 0, "max": 2, "scaled": 0.5}
    assert done["object"]["definition"]["name"] == {"fr-FR": "Le cycle de l'eau"}
    assert done["actor"] == steps[-1]["actor"]
    assert release  # one completion per release and pupil: its statement id is derived from both
