"""Classroom fixtures: a logged-in teacher's Socket.IO client, pupils on their own devices."""

from __future__ import annotations

import uuid

import pytest

NS = "/classroom"
QUIZ_SPEC = {"type": "quiz", "kind": "single", "question": "2 + 2 ?", "choices": ["3", "4", "5"], "correct": 1}


def ack(sio, event, data=None):
    """Emit an event and return the server's ack."""
    return sio.emit(event, data, namespace=NS, callback=True)


def received(sio, name=None):
    """Events received since the last call (optionally only those called `name`)."""
    events = sio.get_received(NS)
    return [e["args"][0] if e["args"] else None for e in events if name is None or e["name"] == name]


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def teacher_sio(app, client, teacher, login, socketio_client):
    """A teacher logged in, with an open session: (socket client, join code)."""
    login(teacher)
    sio = socketio_client()
    answer = ack(sio, "open_session", {"title": "CM1 fractions"})
    assert answer["ok"], answer
    return sio, answer["code"]


@pytest.fixture
def pupil(app, socketio_client):
    """Make a pupil on its own device (no cookies): pupil(code, name) -> (socket client, join ack)."""
    def make(code, name="Léa", token=None):
        sio = socketio_client(flask_client=app.test_client())
        data = {"code": code, "name": name} if token is None else {"code": code, "token": token}
        return sio, ack(sio, "join", data)
    return make
