"""History: one point a minute for 24 h, hourly roll-ups for 30 days, bounded whatever the clock does."""

from __future__ import annotations

import pytest

from classbox.health import history

DAY = 86400


def sample(wall: float, cpu: float = 10.0, pupils: int | None = 5) -> dict:
    return {"wall": wall, "system": {"cpu_percent": cpu, "temperature_celsius": 50.0,
                                     "disk": {"percent": 40.0}, "load": [0.5, 0.4, 0.3]},
            "app": {"classroom": {"pupils": pupils}, "outbox": {"pending": 2}}}


def run_for(db, start: float, seconds: float, step: float = 60.0, **values) -> float:
    """Record a sample every `step` seconds, one transaction a day; return the end time."""
    t = start
    while t < start + seconds:
        with db.conn:
            end_of_day = min(t + DAY, start + seconds)
            while t < end_of_day:
                history.record(db, sample(t, **values))
                t += step
    return t


@pytest.mark.slow
def test_a_simulated_month_stays_within_bounds(db):
    start = 1_790_000_000.0 - 1_790_000_000.0 % 3600
    end = run_for(db, start, 31 * DAY)
    counts = history.counts(db)
    assert 1439 <= counts["minute_points"] <= history.MAX_MINUTE_ROWS
    assert 700 <= counts["hour_points"] <= history.MAX_HOUR_ROWS
    oldest_hour = db.execute("SELECT MIN(t) FROM health_history WHERE resolution = 3600").fetchone()[0]
    assert oldest_hour >= end - 30 * DAY - 3600
    points = history.series(db, end)
    assert len(points) >= 1439 and points[0][0] >= end - DAY


def test_hourly_points_average_the_minutes(db):
    start = 1_790_000_000.0 - 1_790_000_000.0 % 3600
    with db.conn:
        for i in range(60):
            history.record(db, sample(start + 60 * i, cpu=10.0 if i < 30 else 30.0))
        history.record(db, sample(start + 3600))
    (t, point), = history.series(db, start + 3600, resolution=history.HOUR, span_s=30 * DAY)
    assert t == start
    assert point["cpu"] == 20.0 and point["cpu_max"] == 30.0 and point["pupils"] == 5


def test_at_most_one_point_a_minute(db):
    with db.conn:
        results = [history.record(db, sample(1_790_000_000.0 + 10 * i)) for i in range(12)]
    assert results.count(True) == 2
    assert history.counts(db)["minute_points"] == 2


def test_clock_jumps_keep_the_bound(db):
    """Boot in 1970, run a day, then NTP jumps to 2026, then back and forth."""
    end = run_for(db, 0.0, DAY)
    assert history.counts(db)["minute_points"] <= history.MAX_MINUTE_ROWS
    run_for(db, 1_790_000_000.0, 2 * 3600)
    counts = history.counts(db)
    assert counts["minute_points"] == 120  # the 1970 points fell out of the 24-hour window
    run_for(db, end, 3 * 3600)  # clock set back again
    counts = history.counts(db)
    assert counts["minute_points"] <= history.MAX_MINUTE_ROWS
    assert counts["hour_points"] <= history.MAX_HOUR_ROWS


def test_sampling_faster_than_a_minute_still_bounded(db):
    run_for(db, 1_790_000_000.0, 2 * DAY, step=5.0)
    assert history.counts(db)["minute_points"] <= history.MAX_MINUTE_ROWS


def test_point_tolerates_missing_values():
    point = history.point({"wall": 1.0, "system": {"load": None, "disk": None}, "app": {"classroom": None}})
    assert point["cpu"] is None and point["load1"] is None and point["pupils"] is None


@pytest.mark.slow
def test_agent_ticks_over_a_day_and_more_stay_bounded(service, db, clock, fake_psutil):
    """The service with an injected clock: 26 hours of one-minute ticks."""
    for _ in range(26 * 60):
        fake_psutil.busy += 6
        fake_psutil.idle += 54
        clock.advance(60)
        service.tick(db)
    counts = history.counts(db)
    assert 1439 <= counts["minute_points"] <= history.MAX_MINUTE_ROWS
    assert 25 <= counts["hour_points"] <= 27
    hourly = history.series(db, clock.wall(), resolution=history.HOUR, span_s=30 * DAY)
    assert all(point["cpu"] == 10.0 for _, point in hourly[1:])
