"""The shared-state layer against a real redis-server: one budget for every worker, memory while Redis fails."""

from __future__ import annotations

import pytest
import redis

from classbox.auth.shared_throttle import SharedLoginGuard, login_guard_for
from classbox.auth.throttle import LoginGuard
from classbox.classroom.ratelimit import RateLimiter
from classbox.runtime.shared import Shared, shared_state
from classbox.runtime.shared_limits import SharedRateLimiter, rate_limiter
from tests.redis_server import RedisServer


@pytest.fixture
def redis_server(tmp_path):
    with RedisServer(tmp_path / "redis") as server:
        yield server


_made: list[Shared] = []


def worker(server: RedisServer) -> Shared:
    """What one web worker holds: its own client to the box's Redis."""
    _made.append(shared_state({"workers": 2, "message_queue": server.url}))
    return _made[-1]


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    while _made:
        _made.pop().client.close()


def test_one_worker_keeps_everything_in_memory_without_redis():
    assert shared_state({"workers": 1, "message_queue": "unix:///nowhere.sock"}) is None
    assert type(rate_limiter(None, "join_ip", 3, 1.0)) is RateLimiter
    assert type(login_guard_for(None)) is LoginGuard


def test_two_workers_spend_one_budget(redis_server):
    a, b = (SharedRateLimiter(worker(redis_server), "join_ip", 4, 0.01) for _ in range(2))
    spent = [limiter.allow("10.0.0.7") for limiter in (a, b, a, b, a, b)]
    assert spent == [True, True, True, True, False, False]
    assert a.blocked("10.0.0.7") and b.blocked("10.0.0.7") and not a.blocked("10.0.0.8")
    b.forget_prefix("10.0.0.")
    assert a.allow("10.0.0.7")


def test_a_key_made_of_glob_characters_is_refilled_alone(redis_server):
    limiter = SharedRateLimiter(worker(redis_server), "new_pupil", 1, 0.01)
    assert limiter.allow("*|1") and limiter.allow("a|1")
    limiter.forget_prefix("*")
    assert limiter.allow("*|1") and not limiter.allow("a|1")


def test_login_failures_on_two_workers_count_once(redis_server):
    a, b = SharedLoginGuard(worker(redis_server), free=3), SharedLoginGuard(worker(redis_server), free=3)
    for guard in (a, b, a):
        assert guard.retry_after("mme.martin", "10.0.0.9") == 0
        guard.failed("mme.martin", "10.0.0.9")
    assert b.retry_after("mme.martin", "10.0.0.9") > 0
    assert a.retry_after("mme.martin", "10.0.0.10") == 0  # another device is not concerned
    b.succeeded("mme.martin", "10.0.0.9")
    assert a.retry_after("mme.martin", "10.0.0.9") == 0


def test_the_brake_counts_every_workers_failures(redis_server):
    a, b = (SharedLoginGuard(worker(redis_server), brake_threshold=3, brake_s=0.5) for _ in range(2))
    for i in range(4):
        (a if i % 2 else b).failed(f"login{i}", f"10.0.1.{i}")
    assert a.brake() == 0.5 and b.brake() == 0.5


def test_a_stopped_redis_falls_back_to_each_workers_memory_and_catches_up(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    try:
        shared = worker(server)
        restored = []
        shared.on_restore.append(restored.append)  # called with the time the outage began
        limiter, guard = SharedRateLimiter(shared, "submit", 2, 0.01), SharedLoginGuard(shared, free=1)
        assert limiter.allow("pupil") and shared.up
        server.stop()
        assert [limiter.allow("pupil"), limiter.allow("pupil"), limiter.allow("pupil")] == [True, True, False]
        guard.failed("mme.martin", "10.0.0.9")
        assert guard.retry_after("mme.martin", "10.0.0.9") > 0  # this worker's own count meanwhile
        assert shared.up is False and restored == []
        server.start()  # an empty Redis on the same socket, as after a restart
        assert not limiter.allow("pupil") and shared.up is False  # the breaker: this worker's count until a probe
        shared.run(lambda c: c.set(shared.key("beat"), 1), lambda: None, probe=True)  # the presence beat
        assert shared.up and len(restored) == 1 and limiter.allow("pupil")  # Redis's count again
    finally:
        server.stop()


def test_a_full_redis_refuses_writes_and_the_workers_count_in_memory(redis_server):
    shared = worker(redis_server)
    with redis.Redis(unix_socket_path=str(redis_server.socket)) as admin:
        admin.config_set("maxmemory-policy", "noeviction")  # the box's role: noeviction
        admin.config_set("maxmemory", "1")  # full: every write refused with OOM
        limiter, guard = SharedRateLimiter(shared, "join_ip", 1, 0.01), SharedLoginGuard(shared, free=1)
        assert limiter.allow("10.0.0.7") and not limiter.allow("10.0.0.7")
        guard.failed("mme.martin", "10.0.0.9")
        assert guard.retry_after("mme.martin", "10.0.0.9") > 0
        assert shared.up is False
        assert admin.publish("classbox-socketio", "still delivered") == 0  # the message queue is not refused
        admin.config_set("maxmemory", "64mb")
    shared.run(lambda c: c.set(shared.key("beat"), 1), lambda: None, probe=True)  # the presence beat
    assert limiter.allow("10.0.0.8") and shared.up


def test_a_pupils_step_set_on_one_worker_is_seen_from_another(redis_server):
    from classbox.lessons.shared_positions import SharedPositions, positions_for

    a, b = SharedPositions(worker(redis_server)), SharedPositions(worker(redis_server))
    a.set("release-1", "pupil-a", 2)
    b.set("release-1", "pupil-b", 5)
    assert a.of("release-1") == b.of("release-1") == {"pupil-a": 2, "pupil-b": 5}
    assert type(positions_for(None)).__name__ == "Positions"


def test_a_member_locked_through_one_worker_is_locked_on_every_worker_until_the_new_secret(redis_server):
    from classbox.classes.secretlock import Locked
    from classbox.classes.shared_secretlock import SharedSecretLocks

    a, b = SharedSecretLocks(worker(redis_server), lock_after=4), SharedSecretLocks(worker(redis_server), lock_after=4)
    member = Locked("member-1", 7, "Léa", "/static/pictos/sun.svg")
    assert [lock.wrong(member) for lock in (a, b, a, b)] == [False, False, False, True]
    assert a.is_locked("member-1") and b.is_locked("member-1")
    assert [m["member_id"] for m in a.of_class(7)] == ["member-1"] and b.of_class(8) == []
    b.unlock("member-1")  # the teacher's new secret, saved through worker b
    assert not a.is_locked("member-1") and not a.wrong(member)


def test_a_pupils_name_kept_in_redis_for_a_lock_expires_with_it(redis_server):
    """RGPD: a locked member's name and picture sit in Redis at most KEPT_S after the last wrong try."""
    from classbox.classes.secretlock import Locked
    from classbox.classes.shared_secretlock import KEPT_S, SharedSecretLocks

    locks = SharedSecretLocks(worker(redis_server), lock_after=1)
    assert locks.wrong(Locked("member-2", 7, "Léa", "/static/pictos/sun.svg"))
    with redis.Redis(unix_socket_path=str(redis_server.socket)) as admin:
        for key in (locks.wrong_key, locks.locked_key):
            assert 0 < admin.ttl(key) <= KEPT_S


class _DropsAfter:
    """A worker's Redis client whose connection drops after `calls` round trips (a Redis blip)."""

    def __init__(self, client: redis.Redis, calls: int):
        self.client, self.calls = client, calls

    def _trip(self) -> None:
        if self.calls <= 0:
            raise redis.ConnectionError("connection dropped")
        self.calls -= 1

    def pipeline(self, *args, **kwargs):
        pipe, trip = self.client.pipeline(*args, **kwargs), self._trip
        execute = pipe.execute

        def guarded(*a, **kw):
            trip()
            return execute(*a, **kw)
        pipe.execute = guarded
        return pipe

    def __getattr__(self, name):
        attr = getattr(self.client, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            self._trip()
            return attr(*args, **kwargs)
        return call


@pytest.mark.parametrize("calls", [1, 2, 3])
def test_a_redis_blip_in_a_wrong_try_leaves_no_pupils_name_without_expiry(redis_server, calls):
    """RGPD: whichever round trip the connection drops at, nothing of the member stays in Redis for ever."""
    from classbox.classes.secretlock import Locked
    from classbox.classes.shared_secretlock import KEPT_S, SharedSecretLocks

    shared = worker(redis_server)
    locks = SharedSecretLocks(shared, lock_after=1)
    client, shared.client = shared.client, _DropsAfter(shared.client, calls)
    locks.wrong(Locked("member-2", 7, "Léa", "/static/pictos/sun.svg"))
    shared.client = client
    with redis.Redis(unix_socket_path=str(redis_server.socket)) as admin:
        kept = {key: admin.ttl(key) for key in admin.keys("*secret*")}
    assert all(0 < ttl <= KEPT_S for ttl in kept.values()), kept
