"""An H5P exercise's score, from the pupil's `submit` through the outbox to a real ralph: a valid
statement whose object is the H5P content on the box, with the score the exercise reported."""

from __future__ import annotations

import uuid

import pytest

from classbox import create_app
from classbox.auth.users import add_user
from classbox.extensions import socketio
from classbox.storage import open_database
from tests.sync.conftest import lrs_config
from tests.sync.test_classroom_contract import validate_with_ralph
from tests.sync.test_xapi import drain

pytestmark = pytest.mark.peer

NS = "/classroom"
RESOURCE = "0123456789abcdef"


def play_an_exercise(config, scores: list[dict]) -> str:
    """A teacher pushes an H5P exercise, Léa's device sends its scores through `submit`: the activity id."""
    app = create_app(config)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    db = open_database(config.data_dir)
    add_user(db, "mme.martin", "teacher", "correct-horse-1", "Mme Martin")
    db.conn.close()
    web = app.test_client()
    assert web.post("/login", data={"login": "mme.martin", "password": "correct-horse-1"}).status_code == 302
    teacher = socketio.test_client(app, namespace=NS, flask_test_client=web)
    code = teacher.emit("open_session", {"title": "CM2 géographie"}, namespace=NS, callback=True)["code"]
    lea = socketio.test_client(app, namespace=NS, flask_test_client=app.test_client())
    assert lea.emit("join", {"code": code, "name": "Léa"}, namespace=NS, callback=True)["ok"]
    activity = teacher.emit("push", {"type": "h5p", "resource_id": RESOURCE, "title": "Les capitales"},
                            namespace=NS, callback=True)["activity"]
    for score in scores:
        submission = {"activity_id": activity["id"], "submission_id": str(uuid.uuid4()), "answer": score}
        assert lea.emit("submit", submission, namespace=NS, callback=True)["ok"]
        again = lea.emit("submit", submission, namespace=NS, callback=True)  # a resend: the same submission
        assert again["ok"] and again["duplicate"]
    lea.disconnect(namespace=NS)
    teacher.disconnect(namespace=NS)
    app.extensions["classbox_db_pool"].close()
    return activity["id"]


def test_an_h5p_score_reaches_the_lrs_with_the_content_as_its_object(tmp_path, ralph):
    config = lrs_config(tmp_path, ralph)
    activity = play_an_exercise(config, [{"score": 1, "max": 3, "response": "Lyon"},
                                         {"score": 3, "max": 3, "success": True, "completed": True}])
    assert drain(config)["dead"] == 0
    box = config["box"]["id"]
    home = f"http://{box}.classbox.invalid"
    ours = [s for s in ralph.stored() if s["context"]["extensions"].get(f"{home}/xapi/ext/box") == box]
    assert validate_with_ralph(ours) == [None] * len(ours)
    played = [s for s in ours if s["object"]["id"] == f"{home}/library/{RESOURCE}"]
    assert [s["verb"]["id"].rsplit("/", 1)[1] for s in played] == ["answered", "completed"]
    first, last = sorted(played, key=lambda s: s["context"]["extensions"][f"{home}/xapi/ext/seq"])
    assert first["object"]["definition"]["name"] == {"fr-FR": "Les capitales"}
    assert first["result"]["score"] == {"raw": 1, "min": 0, "max": 3, "scaled": 0.3333}
    assert first["result"]["response"] == "Lyon" and first["result"]["success"] is False
    assert last["result"]["score"]["scaled"] == 1.0 and last["result"]["success"] is True
    assert last["result"]["completion"] is True
    assert {"objectType": "Activity", "id": f"{home}/activities/{activity}"} in last["context"]["contextActivities"]["grouping"]
