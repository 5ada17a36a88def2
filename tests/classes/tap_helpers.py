"""Helpers of the tap-to-join tests: a class session and pupils' devices."""

from __future__ import annotations

import pytest

from classbox.classes import store as classes
from tests.helpers import ack


@pytest.fixture
def klass(db, teacher_id):
    """Mme Martin's CP class: Léa, Tom, Zoé and a name with markup; {"id", "members": {name: member}}."""
    made = classes.create_class(db, teacher_id, "CP bleu", ["CP"])
    added = classes.add_members(db, teacher_id, made["id"], [{"name": n} for n in ("Léa", "Tom", "Zoé", "<b>Noé</b>")])
    return {"id": made["id"], "members": {m["name"]: m for m in added}}


@pytest.fixture
def class_session(app, client, teacher, login, socketio_client, klass):
    """The teacher's dashboard connection and the code of a session opened for `klass`."""
    login(teacher)
    sio = socketio_client()
    opened = ack(sio, "open_session", {"title": "Lecture", "class_id": klass["id"]})
    assert opened["ok"], opened
    assert ack(sio, "watch", {"code": opened["code"]})["ok"]
    sio.get_received("/classroom")
    return sio, opened["code"]


@pytest.fixture
def device(app, socketio_client):
    """A pupil's device (no cookies): device() -> socket client."""
    return lambda: socketio_client(flask_client=app.test_client())


def tap(sio, code: str, member: dict, secret: list[str] | None = None) -> dict:
    """Tap a member's name (and secret) on the join page; the join ack."""
    data = {"code": code, "member_id": member["id"]}
    if secret is not None:
        data["secret"] = secret
    return ack(sio, "join", data)
