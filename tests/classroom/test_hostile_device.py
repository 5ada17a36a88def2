"""A hostile pupil's device: reserved Socket.IO event names, join floods, a teacher's removals."""

from __future__ import annotations

import time

import pytest

from classbox.classroom.ratelimit import RateLimiter

from tests.classroom.conftest import ack, received


def freeze_limits(app, later: float = 0.0) -> None:
    """Stop the clock of every rate limit of the classroom (a flood that takes no time), `later` s from now."""
    now = time.monotonic() + later
    for limiter in vars(app.extensions["classroom"]).values():
        if isinstance(limiter, RateLimiter):
            limiter.clock = lambda: now


@pytest.mark.parametrize("reserved", ["connect", "disconnect", "connect_error"])
def test_reserved_event_names_from_a_client_are_refused(teacher_sio, pupil, reserved):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    received(teacher)
    answer = ack(lea, reserved, {"x": 1})
    assert answer["ok"] is False and answer["error"] == "malformed"
    # still the same pupil, still online: the lifecycle handlers never ran
    assert not [p for p in received(teacher, "presence") if not p["online"]]
    watched = ack(teacher, "watch", {"code": code})
    assert [p["online"] for p in watched["pupils"]] == [True]
    assert ack(lea, "submit", {"activity_id": "x" * 8, "submission_id": "bad"})["error"] == "malformed"


def test_a_fake_disconnect_does_not_keep_a_removed_pupil_listening(teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    ack(lea, "disconnect")
    assert ack(teacher, "remove_pupil", {"pupil_id": joined["pupil_id"]})["ok"]
    assert not lea.is_connected("/classroom")  # closed by the server: no more activities reach it


def test_fake_lifecycle_events_do_not_reset_the_join_limit(teacher_sio, pupil, db):
    _, code = teacher_sio
    sio, _ = pupil(code, "Pupil0")
    for round_ in range(4):
        for i in range(6):
            ack(sio, "join", {"code": code, "name": f"F{round_}x{i}"})
        ack(sio, "disconnect")
        ack(sio, "connect")
    assert db["classroom_pupils"].count <= 6


def test_join_pages_are_rate_limited_per_address(app, teacher_sio):
    """Guessing codes through GET /join/<code> meets the same per-address limit as the Socket.IO join."""
    _, code = teacher_sio
    tablet = app.test_client()
    freeze_limits(app)  # the flood takes no time
    burst = app.config["CLASSBOX"]["classroom"]["joins_per_ip_burst"]
    statuses = [tablet.get("/join/ZZZZZZ").status_code for _ in range(burst + 10)]
    assert statuses[:burst] == [404] * burst and statuses[burst:] == [429] * 10
    refused = tablet.get(f"/join/{code}")
    assert refused.status_code == 429 and "Patientez" in refused.get_data(as_text=True)


def test_one_device_flooding_joins_cannot_fill_the_session(app, teacher_sio, pupil, socketio_client, db):
    """200 joins over 40 sockets from one address at once: a class's worth at most, then refusals."""
    teacher, code = teacher_sio
    freeze_limits(app)
    sockets = [socketio_client(flask_client=app.test_client()) for _ in range(40)]
    answers = [ack(sio, "join", {"code": code, "name": f"Faux{n}x{i}"}) for i in range(5) for n, sio in
               enumerate(sockets)]
    made = sum(1 for a in answers if a.get("ok"))
    assert made <= app.config["CLASSBOX"]["classroom"]["new_pupils_burst"] < 60
    assert {a["error"] for a in answers if not a.get("ok")} == {"rate_limited"}
    # The teacher closes joining, removes the fakes in one go, opens joining again: Léa gets in.
    assert ack(teacher, "set_joining", {"open": False}) == {"ok": True, "joining": False}
    fakes = [p["id"] for p in ack(teacher, "watch", {"code": code})["pupils"]]
    assert ack(teacher, "remove_pupils", {"pupil_ids": fakes}) == {"ok": True, "removed": len(fakes)}
    assert ack(teacher, "set_joining", {"open": True})["joining"] is True
    freeze_limits(app, later=60)  # the teacher took a minute
    lea, joined = pupil(code, "Léa")
    assert joined["ok"], joined
    assert [p["name"] for p in ack(teacher, "watch", {"code": code})["pupils"]] == ["Léa"]


def test_a_whole_class_behind_one_address_joins_within_a_minute(app, teacher_sio, pupil):
    """A school's access point puts 36 pupils behind one address: every one of them gets in."""
    _, code = teacher_sio
    limits = [v for v in vars(app.extensions["classroom"]).values() if isinstance(v, RateLimiter)]
    start = time.monotonic()
    for n in range(36):
        for limiter in limits:
            limiter.clock = lambda n=n: start + n * 1.6  # 36 joins spread over 57 s
        _, joined = pupil(code, f"Élève{n}")
        assert joined["ok"], (n, joined)


def test_one_device_token_replayed_again_and_again_is_limited(app, teacher_sio, pupil):
    _, code = teacher_sio
    _, joined = pupil(code, "Léa")
    freeze_limits(app)
    answers = [pupil(code, token=joined["token"])[1] for _ in range(20)]
    assert answers[0]["ok"] and answers[-1]["error"] == "rate_limited"


def test_closed_joining_refuses_new_names_but_lets_pupils_come_back(teacher_sio, pupil):
    teacher, code = teacher_sio
    _, lea = pupil(code, "Léa")
    assert ack(teacher, "set_joining", {"open": False})["ok"]
    refused = pupil(code, "Tom")[1]
    assert refused["error"] == "joining_closed" and "inscriptions" in refused["message"]
    assert pupil(code, token=lea["token"])[1]["ok"]  # a Wi-Fi drop: Léa comes back
    watched = ack(teacher, "watch", {"code": code})
    assert watched["session"]["joining"] is False


def test_bulk_removal_disconnects_every_removed_pupil(teacher_sio, pupil):
    teacher, code = teacher_sio
    (lea, a), (tom, b), (zoe, c) = pupil(code, "Léa"), pupil(code, "Tom"), pupil(code, "Zoé")
    assert ack(teacher, "remove_pupils", {"pupil_ids": [a["pupil_id"], b["pupil_id"]]})["removed"] == 2
    assert not lea.is_connected("/classroom") and not tom.is_connected("/classroom")
    assert zoe.is_connected("/classroom")
    assert pupil(code, token=a["token"])[1]["error"] == "removed"
    assert ack(teacher, "remove_pupils", {"pupil_ids": "x"})["error"] == "malformed"
