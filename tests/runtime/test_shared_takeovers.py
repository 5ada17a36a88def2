"""Takeovers every web worker sees, in a real redis-server: dated by the box's monotonic clock, put back when undelivered."""

from __future__ import annotations

import time

from classbox.classes.tapjoin import Takeover
from classbox.classes.takeovers import PENDING_TTL_S, SharedTakeovers
from tests.runtime.test_shared_state import _close_clients, redis_server, worker  # noqa: F401 (fixtures)


def request(sid: str, session_id: int = 7) -> Takeover:
    return Takeover(f"request-{sid}", session_id, "pupil-1", "member-1", sid, "Léa", "/static/pictos/sun.svg")


def test_a_wall_clock_step_neither_drops_nor_reorders_waiting_takeovers(redis_server, monkeypatch):
    a, b = (SharedTakeovers(worker(redis_server), Takeover) for _ in range(2))
    a.add(request("sid-1"))
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 365 * 86400)  # the box's clock set from 1970-ish to now
    b.add(request("sid-2"))
    monkeypatch.setattr(time, "time", lambda: real() - 365 * 86400)  # and back
    b.add(request("sid-3"))
    assert [r.sid for r in a.waiting(7)] == ["sid-1", "sid-2", "sid-3"]


def test_takeovers_expire_on_the_monotonic_clock_and_a_device_asking_again_replaces_its_request(redis_server):
    now = [1000.0]
    a, b = (SharedTakeovers(worker(redis_server), Takeover, clock=lambda: now[0]) for _ in range(2))
    for who, sid in ((a, "sid-1"), (a, "sid-2"), (b, "sid-2")):  # the same tablet taps again: one request for it
        who.add(request(sid))
        now[0] += 1
    assert [r.sid for r in a.waiting(7)] == ["sid-1", "sid-2"]
    now[0] += PENDING_TTL_S + 1
    assert a.waiting(7) == []
    b.add(request("sid-4"))
    assert [r.sid for r in b.waiting(7)] == ["sid-4"]


def test_a_takeover_put_back_keeps_its_place_and_its_asking_worker(redis_server):
    a, b = SharedTakeovers(worker(redis_server), Takeover), SharedTakeovers(worker(redis_server), Takeover)
    a.add(request("sid-1"))
    b.add(request("sid-2"))
    taken = b.take("request-sid-1", 7)
    assert taken.worker == a.shared.worker_id
    b.put_back(taken)  # its answer could not be delivered: the teacher answers again
    assert [(r.sid, r.worker) for r in b.waiting(7)] == [("sid-1", a.shared.worker_id), ("sid-2", b.shared.worker_id)]
