"""Takeovers every web worker sees, in a real redis-server: dated by the box's monotonic clock, put back when undelivered."""

from __future__ import annotations

import json
import time

from classbox.classes.tapjoin import Takeover
from classbox.classes.shared_secretlock import forget_members
from classbox.classes.takeovers import MAX_PENDING, PENDING_TTL_S, SharedTakeovers, takeovers_for
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


def names_in_redis(shared) -> list[str]:
    """The first names of every takeover request Redis holds, whatever its session."""
    client = shared.client
    return sorted(json.loads(v)["name"] for key in client.scan_iter(shared.key("takeover", "*"))
                  for v in client.hvals(key))


def test_redis_never_drops_waiting_takeovers_on_its_own_wall_clock(redis_server):
    a = SharedTakeovers(worker(redis_server), Takeover)
    a.add(request("sid-1"))
    # a Pi without RTC steps its clock by a weekend when the uplink comes back: Redis's expiries are wall-clock
    assert all(a.shared.client.ttl(key) == -1 for key in a.shared.client.scan_iter(a.shared.key("takeover", "*")))
    assert [r.sid for r in a.waiting(7)] == ["sid-1"]


def test_a_pupils_name_leaves_redis_once_their_request_expired_or_they_are_erased(redis_server):
    now = [1000.0]
    a = SharedTakeovers(worker(redis_server), Takeover, clock=lambda: now[0])
    a.add(request("sid-1"))
    now[0] += PENDING_TTL_S + 1
    assert a.waiting(7) == []
    assert names_in_redis(a.shared) == []  # not kept beyond the time a request can wait
    a.add(Takeover("request-x", 8, "pupil-2", "member-2", "sid-x", "Zoé", "/static/pictos/moon.svg"))
    forget_members(a.shared, ["member-2"])  # `classbox privacy erase`
    assert names_in_redis(a.shared) == []


def test_a_test_clock_given_to_tap_join_dates_requests_in_redis_too(redis_server):
    now = [5.0]
    shared = takeovers_for(worker(redis_server), Takeover, lambda: now[0])
    shared.add(request("sid-1"))
    assert [r.created for r in shared.waiting(7)] == [5.0]


def test_a_takeover_put_back_is_kept_even_when_its_session_filled_up_meanwhile(redis_server):
    a = SharedTakeovers(worker(redis_server), Takeover)
    for n in range(MAX_PENDING):
        a.add(request(f"sid-{n}"))
    taken = a.take("request-sid-0", 7)  # a teacher answers; meanwhile another tablet asks
    a.add(request("sid-late"))
    a.put_back(taken)  # the answer could not be delivered: the request stays listed, not rate_limited
    assert "sid-0" in [r.sid for r in a.waiting(7)]
