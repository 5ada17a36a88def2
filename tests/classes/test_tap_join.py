"""Tap to join: a session opened for a class, its join page, members joining by tapping."""

from __future__ import annotations

import uuid

from classbox.classes import store as classes
from tests.classes.tap_helpers import class_session, device, klass, tap  # noqa: F401  (fixtures)
from tests.helpers import QUIZ_SPEC, ack, received


def test_the_join_page_lists_the_members_of_a_class_session_only(app, class_session, klass, teacher_sio):
    _, code = class_session
    page = app.test_client().get(f"/join/{code}").get_data(as_text=True)
    for name, member in klass["members"].items():
        assert f'data-member="{member["id"]}"' in page and member["picture_url"] in page
    assert "&lt;b&gt;Noé&lt;/b&gt;" in page and "<b>Noé</b>" not in page  # markup shown as text
    assert 'id="join-form"' not in page and "pages/tap-join.js" in page
    _, plain = teacher_sio  # a session without a class: the name form, nobody's name
    other = app.test_client().get(f"/join/{plain}").get_data(as_text=True)
    assert 'id="join-form"' in other and "Léa" not in other and "tap-member" not in other


def test_a_teacher_opens_a_session_only_for_a_class_of_their_own(app, client, login, teacher, socketio_client, db,
                                                                 other_teacher_id):
    theirs = classes.create_class(db, other_teacher_id, "CE1 de M. Durand", ["CE1"])
    login(teacher)
    sio = socketio_client()
    for class_id in (theirs["id"], 987654, "1", True, -1, 2**70, [1]):
        refused = ack(sio, "open_session", {"title": "x", "class_id": class_id})
        assert refused["ok"] is False and refused["error"] == "unknown_class", (class_id, refused)


def test_a_member_taps_to_join_and_comes_back_with_the_device_token(class_session, klass, device):
    teacher, code = class_session
    lea = klass["members"]["Léa"]
    tablet = device()
    joined = tap(tablet, code, lea)
    assert joined["ok"] and joined["name"] == "Léa" and joined["session"]["class_id"] == klass["id"]
    assert received(teacher, "presence") == [{"pupil_id": joined["pupil_id"], "name": "Léa", "online": True}]
    tablet.disconnect("/classroom")
    again = ack(device(), "join", {"code": code, "token": joined["token"]})
    assert again["ok"] and again["pupil_id"] == joined["pupil_id"]


def test_typing_a_name_is_for_sessions_without_a_class(class_session, klass, teacher_sio, device):
    _, code = class_session
    typed = ack(device(), "join", {"code": code, "name": "Léa"})
    assert typed["ok"] is False and typed["error"] == "tap_to_join" and "Touche" in typed["message"]
    _, plain = teacher_sio
    tapped = tap(device(), plain, klass["members"]["Léa"])
    assert tapped["ok"] is False and tapped["error"] == "no_class"


def test_a_member_of_another_class_or_box_cannot_join(class_session, db, teacher_id, other_teacher_id, device):
    _, code = class_session
    mine = classes.create_class(db, teacher_id, "CE2", ["CE2"])
    theirs = classes.create_class(db, other_teacher_id, "CM1", ["CM1"])
    other_class, = classes.add_members(db, teacher_id, mine["id"], [{"name": "Léa"}])
    other_teacher, = classes.add_members(db, other_teacher_id, theirs["id"], [{"name": "Tom"}])
    another_box = {"id": str(uuid.uuid4())}
    for member in (other_class, other_teacher, another_box):
        refused = tap(device(), code, member)
        assert refused["ok"] is False and refused["error"] == "unknown_member", refused
    for junk in (42, "", "x" * 65, ["a"], {"id": "a"}):
        refused = ack(device(), "join", {"code": code, "member_id": junk})
        assert refused["ok"] is False and refused["error"] == "malformed", (junk, refused)


def test_late_and_absent_members(class_session, klass, device, app):
    teacher, code = class_session
    members = klass["members"]
    lea, tom = tap(device(), code, members["Léa"]), tap(device(), code, members["Tom"])
    assert lea["ok"] and tom["ok"]
    quiz = ack(teacher, "push", QUIZ_SPEC)["activity"]
    assert ack(teacher, "set_joining", {"open": False})["ok"]  # closes typed names, not the class list
    late = tap(device(), code, members["Zoé"])
    assert late["ok"] and late["activity"]["id"] == quiz["id"]  # the question on screen at once
    pupils = {p["name"] for p in ack(teacher, "watch", {"code": code})["pupils"]}
    assert pupils == {"Léa", "Tom", "Zoé"}  # Noé is absent: nobody joined as Noé


def test_a_member_removed_from_the_class_mid_session(class_session, klass, device, db, teacher_id, app):
    teacher, code = class_session
    lea = klass["members"]["Léa"]
    tablet = device()
    joined = tap(tablet, code, lea)
    quiz = ack(teacher, "push", QUIZ_SPEC)["activity"]
    classes.remove_member(db, teacher_id, klass["id"], lea["id"])
    kept = ack(tablet, "submit", {"activity_id": quiz["id"], "submission_id": str(uuid.uuid4()), "answer": 1})
    assert kept["ok"]  # who already joined goes on; the answer is kept
    again = tap(device(), code, lea)
    assert again["ok"] is False and again["error"] == "unknown_member"
    assert lea["id"] not in app.test_client().get(f"/join/{code}").get_data(as_text=True)
    assert joined["ok"]


def test_a_class_deleted_with_sessions_attached(class_session, klass, device, db, teacher_id, app, client):
    teacher, code = class_session
    tablet = device()
    joined = tap(tablet, code, klass["members"]["Tom"])
    classes.delete_class(db, teacher_id, klass["id"])
    page = app.test_client().get(f"/join/{code}")
    assert page.status_code == 200 and 'id="class-gone"' in page.get_data(as_text=True)
    refused = tap(device(), code, klass["members"]["Léa"])
    assert refused["ok"] is False and refused["error"] == "class_gone" and "supprimée" in refused["message"]
    tablet.disconnect("/classroom")
    back = ack(device(), "join", {"code": code, "token": joined["token"]})
    assert back["ok"] and back["pupil_id"] == joined["pupil_id"]  # results of the session stay
    assert client.get(f"/api/sessions/{code}/results").get_json()["pupils"][0]["name"] == "Tom"


def test_a_member_the_teacher_removed_from_the_session_cannot_tap_back(class_session, klass, device):
    teacher, code = class_session
    joined = tap(device(), code, klass["members"]["Léa"])
    assert ack(teacher, "remove_pupil", {"pupil_id": joined["pupil_id"]})["ok"]
    again = tap(device(), code, klass["members"]["Léa"])
    assert again["ok"] is False and again["error"] == "removed"
