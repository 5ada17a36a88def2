"""A member already connected from another device: the teacher decides, never a silent takeover."""

from __future__ import annotations

from tests.classes.tap_helpers import class_session, device, klass, tap  # noqa: F401  (fixtures)
from tests.helpers import ack, received


def test_tapping_a_member_online_elsewhere_asks_the_teacher_who_refuses(class_session, klass, device):
    teacher, code = class_session
    lea = klass["members"]["Léa"]
    own, other = device(), device()
    first = tap(own, code, lea)
    received(teacher)
    asked = tap(other, code, lea)
    assert asked["ok"] is False and asked["error"] == "ask_teacher" and "enseignant" in asked["message"]
    request, = received(teacher, "takeover_request")
    assert request["pupil_id"] == first["pupil_id"] and request["name"] == "Léa" and request["request_id"] == asked["detail"]
    assert ack(teacher, "pending_takeovers")["requests"] == [request]
    assert ack(teacher, "answer_takeover", {"request_id": request["request_id"], "allow": False}) == \
        {"ok": True, "allowed": False}
    refused, = received(other, "join_refused")
    assert "refusé" in refused["message"]
    assert own.is_connected("/classroom") and not received(own, "replaced")
    assert ack(teacher, "pending_takeovers")["requests"] == []


def test_the_teacher_allows_the_new_device_and_the_old_one_is_out(class_session, klass, device):
    teacher, code = class_session
    lea = klass["members"]["Léa"]
    own, other = device(), device()
    first = tap(own, code, lea)
    request_id = tap(other, code, lea)["detail"]
    received(teacher)
    assert ack(teacher, "answer_takeover", {"request_id": request_id, "allow": True})["allowed"] is True
    joined, = received(other, "joined")
    assert joined["ok"] and joined["pupil_id"] == first["pupil_id"] and joined["token"] != first["token"]
    assert not own.is_connected("/classroom")  # told why before the box closed it:
    assert [e["name"] for e in own.queue if e["namespace"] == "/classroom"][-1:] == ["replaced"]
    stale = ack(device(), "join", {"code": code, "token": first["token"]})
    assert stale["ok"] is False and stale["error"] == "bad_token"  # the old device cannot come back on its own
    assert {"pupil_id": first["pupil_id"], "name": "Léa", "online": True} in received(teacher, "presence")
    pupils = ack(teacher, "watch", {"code": code})["pupils"]
    assert [(p["name"], p["online"]) for p in pupils] == [("Léa", True)]


def test_a_shared_tablet_takes_turns_and_a_member_offline_elsewhere_comes_back_directly(class_session, klass, device):
    teacher, code = class_session
    tablet = device()
    lea = tap(tablet, code, klass["members"]["Léa"])
    tablet.disconnect("/classroom")  # "Changer d'élève": the page forgets Léa and reconnects
    tablet = device()
    tom = tap(tablet, code, klass["members"]["Tom"])
    assert tom["ok"] and tom["pupil_id"] != lea["pupil_id"]
    back = tap(device(), code, klass["members"]["Léa"])  # Léa on another tablet: nobody is Léa right now
    assert back["ok"] and back["pupil_id"] == lea["pupil_id"] and not received(teacher, "takeover_request")


def test_takeover_answers_are_checked(class_session, klass, device, app, socketio_client):
    teacher, code = class_session
    lea = klass["members"]["Léa"]
    tap(device(), code, lea)
    requester = device()
    request_id = tap(requester, code, lea)["detail"]
    pupil = device()
    assert ack(pupil, "answer_takeover", {"request_id": request_id, "allow": True})["error"] == "forbidden"
    for bad in ({"request_id": "nope", "allow": True}, {"request_id": request_id, "allow": "yes"}):
        assert ack(teacher, "answer_takeover", bad)["error"] == "unknown_request"
    requester.disconnect("/classroom")
    gone = ack(teacher, "answer_takeover", {"request_id": request_id, "allow": True})
    assert gone["ok"] is False and gone["error"] == "gone"
