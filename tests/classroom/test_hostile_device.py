"""A hostile pupil's device: reserved Socket.IO event names, join floods, a teacher's removals."""

from __future__ import annotations

import pytest

from classbox.classroom.ratelimit import RateLimiter

from tests.classroom.conftest import ack, received


def freeze_limits(app, now: float) -> None:
    """Stop the clock of every rate limit of the classroom at `now`."""
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
    freeze_limits(app, 1000.0)  # the flood takes no time
    burst = app.config["CLASSBOX"]["classroom"]["joins_per_ip_burst"]
    statuses = [tablet.get("/join/ZZZZZZ").status_code for _ in range(burst + 10)]
    assert statuses[:burst] == [404] * burst and statuses[burst:] == [429] * 10
    refused = tablet.get(f"/join/{code}")
    assert refused.status_code == 429 and "Patientez" in refused.get_data(as_text=True)
