"""Backoff, Retry-After, the sync window and the rate cap (pure logic, injected clocks)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from classbox.sync.backoff import CAP_S, backoff_s, is_transient_status, next_delay, retry_after_s
from classbox.sync.ratelimit import LinkClosed, RateLimiter
from classbox.sync.window import SyncWindow, WindowError


@pytest.mark.parametrize("status,transient", [(500, True), (502, True), (503, True), (507, True),
                                              (429, True), (408, True), (400, False), (409, False),
                                              (413, False), (422, False)])
def test_transient_statuses(status, transient):
    assert is_transient_status(status) is transient


def test_backoff_is_equal_jitter_and_capped():
    rng = random.Random(7)
    delays = [backoff_s(n, rng=rng) for n in range(1, 40)]
    assert all(0 <= d <= CAP_S for d in delays)
    third = [backoff_s(3, base=2.0, rng=random.Random(i)) for i in range(200)]
    assert 4.0 <= min(third) and max(third) <= 8.0  # the third retry waits between half and all of 2·2²
    assert min(backoff_s(1, rng=random.Random(i)) for i in range(200)) >= 15.0  # default base 30 s
    assert max(backoff_s(30, rng=random.Random(i)) for i in range(200)) > CAP_S / 2


def test_retry_after_wins_and_is_parsed():
    assert next_delay(5, 12.0) == 12.0
    assert retry_after_s("120") == 120.0
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert retry_after_s("soon") is None
    assert retry_after_s("99999999") == CAP_S


def at(day: str, hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}")


def test_window_overnight_on_weekdays_always_on_weekends():
    window = SyncWindow("17:30-07:30")
    wednesday, saturday = "2026-11-25", "2026-11-28"
    assert window.is_open(at(wednesday, "18:00"))
    assert window.is_open(at(wednesday, "06:59"))
    assert not window.is_open(at(wednesday, "10:00"))
    assert not window.is_open(at(wednesday, "07:30"))
    assert window.is_open(at(saturday, "10:00"))
    assert window.seconds_left(at(wednesday, "07:00")) == pytest.approx(1800)
    assert window.seconds_left(at(wednesday, "12:00")) == 0


def test_empty_window_is_always_open():
    assert SyncWindow("").is_open(at("2026-11-25", "11:00"))


@pytest.mark.parametrize("spec", ["17h30-07h30", "25:00-07:00", "17:30", "nuit"])
def test_bad_window_is_refused(spec):
    with pytest.raises(WindowError):
        SyncWindow(spec)


class FakeTime:
    def __init__(self):
        self.now = 0.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_rate_limiter_honours_the_cap():
    fake = FakeTime()
    limiter = RateLimiter(512, clock=fake.clock, sleep=fake.sleep)
    sent = sum(len(chunk) for chunk in limiter.stream(b"x" * 640_000))
    # 640 kB at 512 kbit/s (64 kB/s) takes 10 s, minus at most the initial burst
    assert sent == 640_000
    assert fake.now >= 10.0 - 0.25 - 0.01


def test_rate_limiter_stops_when_told():
    fake = FakeTime()
    limiter = RateLimiter(64, clock=fake.clock, sleep=fake.sleep)
    limiter.should_stop = lambda: fake.now > 1.0
    with pytest.raises(LinkClosed):
        list(limiter.stream(b"x" * 100_000))


def test_no_cap_means_no_wait():
    fake = FakeTime()
    list(RateLimiter(0, clock=fake.clock, sleep=fake.sleep).stream(b"x" * 10_000_000))
    assert fake.now == 0.0
