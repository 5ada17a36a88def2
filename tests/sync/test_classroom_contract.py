"""The classroom's real records: a quiz of each kind, from `submit` through the outbox to a real ralph.

Statements are checked with ralph's own xAPI models (not only accepted by its API) and for what
an ENT reads in them: the interaction type, the choices as the teacher wrote them, the correct
answer pattern, the pupil's response in xAPI's format.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from classbox import create_app
from classbox.auth.users import add_user
from classbox.extensions import socketio
from classbox.storage import open_database
from tests.sync.conftest import lrs_config
from tests.sync.peers import RALPH_VENV
from tests.sync.test_xapi import drain

pytestmark = pytest.mark.peer

NS = "/classroom"
RIVER = ["Dans la rivière", "Dans le ciel", "Nulle part"]
# kind: (what the teacher pushes, what the pupil answers, the definition and response the ENT gets)
QUIZZES = {
    "single": ({"kind": "single", "question": "Où va l'eau de pluie ?", "choices": RIVER, "correct": 0}, 0,
               {"interactionType": "choice", "correctResponsesPattern": ["0"]}, "0", True),
    "multiple": ({"kind": "multiple", "question": "Quels fleuves sont en France ?",
                  "choices": ["La Loire", "Le Nil", "Le Rhône"], "correct": [0, 2]}, [2, 0],
                 {"interactionType": "choice", "correctResponsesPattern": ["0[,]2"]}, "0[,]2", True),
    "text": ({"kind": "text", "question": "Capitale de la France ?", "correct": ["Paris", "paris intra-muros"]},
             "Lyon", {"interactionType": "fill-in",
                       "correctResponsesPattern": ["{case_matters=false}Paris",
                                                   "{case_matters=false}paris intra-muros"]}, "Lyon", False),
    "number": ({"kind": "number", "question": "Combien font 7 × 8 ?", "correct": 56, "tolerance": 0.5}, "55,5",
               {"interactionType": "numeric", "correctResponsesPattern": ["55.5[:]56.5"]}, "55.5", True),
    "single, no answer given": ({"kind": "single", "question": "Ta saison préférée ?",
                                 "choices": ["L'été", "L'hiver"]}, 1, {"interactionType": "choice"}, "1", None),
}


def validate_with_ralph(statements: list[dict]) -> list[str | None]:
    """ralph's pydantic models on each statement: None when valid, else the error."""
    checked = subprocess.run([str(RALPH_VENV / "bin" / "python"), str(Path(__file__).with_name("xapi_validate.py"))],
                             input=json.dumps(statements), capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stderr[-2000:]
    return json.loads(checked.stdout)


def run_a_class(config) -> dict[str, str]:
    """A teacher pushes each quiz, Léa answers it through `submit`: {kind: activity id}."""
    app = create_app(config)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    db = open_database(config.data_dir)
    add_user(db, "mme.martin", "teacher", "correct-horse-1", "Mme Martin")
    db.conn.close()
    web = app.test_client()
    assert web.post("/login", data={"login": "mme.martin", "password": "correct-horse-1"}).status_code == 302
    teacher = socketio.test_client(app, namespace=NS, flask_test_client=web)
    code = teacher.emit("open_session", {"title": "CM2 sciences"}, namespace=NS, callback=True)["code"]
    lea = socketio.test_client(app, namespace=NS, flask_test_client=app.test_client())
    assert lea.emit("join", {"code": code, "name": "Léa"}, namespace=NS, callback=True)["ok"]
    pushed = {}
    for kind, (quiz, answer, *_) in QUIZZES.items():
        activity = teacher.emit("push", {"type": "quiz", **quiz}, namespace=NS, callback=True)["activity"]
        sent = lea.emit("submit", {"activity_id": activity["id"], "submission_id": str(uuid.uuid4()),
                                   "answer": answer}, namespace=NS, callback=True)
        assert sent["ok"], (kind, sent)
        pushed[kind] = activity["id"]
    lea.disconnect(namespace=NS)
    teacher.disconnect(namespace=NS)
    app.extensions["classroom"].writer.settle()  # the class is over: its last answers reach the outbox
    app.extensions["classbox_db_pool"].close()
    return pushed


def test_every_quiz_kind_reaches_the_lrs_as_valid_xapi_with_the_teachers_words(tmp_path, ralph):
    config = lrs_config(tmp_path, ralph)
    pushed = run_a_class(config)
    assert drain(config)["dead"] == 0
    box = config["box"]["id"]
    ours = [s for s in ralph.stored() if s["context"]["extensions"].get(f"http://{box}.classbox.invalid/xapi/ext/box")
            == box]
    assert validate_with_ralph(ours) == [None] * len(ours)
    answered = {s["object"]["id"].rsplit("/", 1)[1]: s for s in ours if s["verb"]["id"].endswith("/answered")}
    assert len(answered) == len(QUIZZES)
    for kind, (quiz, _answer, expected, response, success) in QUIZZES.items():
        statement = answered[pushed[kind]]
        definition = statement["object"]["definition"]
        assert definition["description"] == {"fr-FR": quiz["question"]}, kind
        assert {k: definition.get(k) for k in expected} == expected, kind
        if "choices" in quiz:
            assert definition["choices"] == [{"id": str(i), "description": {"fr-FR": text}}
                                             for i, text in enumerate(quiz["choices"])], kind
        else:
            assert "choices" not in definition, kind
        if success is None:
            assert "correctResponsesPattern" not in definition and "success" not in statement["result"], kind
        else:
            assert statement["result"]["success"] is success, kind
        assert statement["result"]["response"] == response, kind
    attended = [s for s in ours if s["verb"]["id"].endswith("/attended")]
    assert [s["object"]["definition"]["name"] for s in attended] == [{"fr-FR": "CM2 sciences"}]
