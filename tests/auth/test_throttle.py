"""Failed logins slow the device that makes them, never lock the account's owner out."""

from __future__ import annotations

import pytest

from classbox.auth.throttle import LoginGuard

STRANGER = {"REMOTE_ADDR": "10.20.0.66"}
OWNER = {"REMOTE_ADDR": "10.20.0.7"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def slept():
    return []


@pytest.fixture
def guard(app, clock, slept):
    """The app's login guard on a hand-moved clock; its brake records instead of sleeping."""
    found = app.extensions["classbox_login_guard"] = LoginGuard(clock=clock, sleep=slept.append)
    return found


def post_login(client, who, password, device):
    return client.post("/login", data={"login": who, "password": password}, environ_base=device)


def test_a_stranger_cannot_lock_the_owner_out(client, teacher, guard):
    for _ in range(40):
        post_login(client, teacher[0], "devinette-1", STRANGER)
    assert post_login(client, teacher[0], "devinette-1", STRANGER).status_code == 429
    assert post_login(client, teacher[0], teacher[1], OWNER).status_code == 302, \
        "the owner, on their own device, logs in at once"


def test_the_guessing_device_waits_longer_and_longer(guard, clock):
    waits = []
    for _ in range(12):
        guard.failed("mme.martin", "10.20.0.66")
        waits.append(guard.retry_after("mme.martin", "10.20.0.66"))
    assert waits[:4] == [0, 0, 0, 0], "a few typos cost nothing"
    growing = waits[4:]
    assert all(b > a for a, b in zip(growing, growing[1:]) if b < guard.cap_s)
    assert max(waits) <= guard.cap_s, "a delay, never a lock"
    assert guard.retry_after("mme.martin", "10.20.0.7") == 0


def test_the_same_device_can_try_again_once_its_delay_is_over(client, teacher, guard, clock):
    for _ in range(5):
        assert post_login(client, teacher[0], "devinette-1", OWNER).status_code == 401
    refused = post_login(client, teacher[0], teacher[1], OWNER)
    assert refused.status_code == 429 and "Réessayez dans" in refused.get_data(as_text=True)
    clock.now += guard.retry_after(teacher[0], OWNER["REMOTE_ADDR"])
    assert post_login(client, teacher[0], teacher[1], OWNER).status_code == 302


def test_a_success_forgets_the_devices_failures(client, teacher, guard):
    for _ in range(4):
        post_login(client, teacher[0], "devinette-1", OWNER)
    assert post_login(client, teacher[0], teacher[1], OWNER).status_code == 302
    assert guard.retry_after(teacher[0], OWNER["REMOTE_ADDR"]) == 0


def test_the_global_brake_slows_everyone_but_locks_no_one(client, teacher, guard, slept, clock):
    for n in range(guard.brake_threshold + 1):  # guessing spread over many devices and logins
        guard.failed(f"login{n % 7}", f"10.21.{n // 250}.{n % 250}")
    assert guard.brake() > 0
    assert post_login(client, teacher[0], teacher[1], OWNER).status_code == 302, "slowed, never refused"
    assert slept == [guard.brake_s]
    clock.now += guard.brake_window_s + 1
    assert guard.brake() == 0, "the brake lets go once the guessing stops"


def test_memory_stays_bounded_under_random_logins(guard):
    for n in range(guard.max_keys * 2):
        guard.failed(f"random{n}", "10.20.0.66")
    assert len(guard) <= guard.max_keys + 1
