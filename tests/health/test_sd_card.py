"""Sparing the SD card: an idle agent writes nothing to classbox.db; the minute history is kept
in RAM and written down at a slow pace, so a power cut loses at most that interval."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import weakref

import pytest

from classbox.health import history
from classbox.health.service import LATEST_KEY
from classbox.storage.core import get_state
from classbox.storage.db import db_path
from classbox.storage.volatile import FILENAME, reading_volatile
from tests.helpers import make_config, wait_until


class CommitWatch:
    """Tells whether any other connection committed to a database (PRAGMA data_version)."""

    def __init__(self, path) -> None:
        self.conn = sqlite3.connect(str(path))
        weakref.finalize(self, self.conn.close)  # closed with the watch, not left to the collector
        self.version = self._read()

    def _read(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def committed(self) -> bool:
        """True if a commit happened since the last call."""
        now = self._read()
        changed, self.version = now != self.version, now
        return changed


class VirtualStop(threading.Event):
    """The agent's stop event on a virtual clock: each wait moves the clock, no real time passes."""

    def __init__(self, clock, span_s: float) -> None:
        super().__init__()
        self.clock, self.end = clock, clock.monotonic() + span_s

    def wait(self, timeout: float | None = None) -> bool:
        self.clock.advance(timeout or 0.0)
        if self.clock.monotonic() >= self.end:
            self.set()
        return self.is_set()


def test_an_idle_hour_of_samples_writes_classbox_db_once(service, db, config, clock, client):
    watch = CommitWatch(db_path(config.data_dir))
    commits = []
    for minute in range(1, 121):
        service.tick(db)
        if watch.committed():
            commits.append(minute)
        clock.advance(60)
    assert commits == [61], "one write of the minute points per persist interval (3600 s)"
    assert history.counts(db)["minute_points"] == 61  # written down with the 61st
    report = client.get("/api/health").get_json()
    assert report["sample"]["wall"] == clock.wall() - 60  # the latest sample, fresh, from RAM
    assert report["history"]["minute_points"] == 120


def test_a_power_cut_loses_at_most_the_last_interval(service, db, config, clock):
    for _ in range(100):
        service.tick(db)
        clock.advance(60)
    service.close()  # the agent dies with the power
    (config.runtime_dir / FILENAME).unlink()  # the tmpfs is empty after the cut
    assert history.counts(db)["minute_points"] == 61  # the first hour was written down, 39 min lost
    service.tick(db)
    with reading_volatile(config) as vol:
        assert get_state(vol, LATEST_KEY)["wall"] == clock.wall()


def test_a_clean_stop_writes_the_minute_points_down(service, db, config, clock):
    stop = VirtualStop(clock, span_s=30 * 60)
    service.run(stop)
    assert history.counts(db)["minute_points"] >= 29
    with reading_volatile(config) as vol:
        assert history.counts(vol)["minute_points"] == 0


@pytest.mark.slow
def test_the_idle_agent_process_commits_nothing(tmp_path):
    """The real `classbox agent`: once started, a dozen samples and no commit to classbox.db."""
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update(CLASSBOX_CONFIG=os.devnull, CLASSBOX_DATA_DIR=str(data_dir), CLASSBOX_HEALTH_INTERVAL_S="1",
               CLASSBOX_DISCOVERY_ENABLED="false", CLASSBOX_SYNC_ENABLED="false")
    config = _config(data_dir)
    proc = subprocess.Popen([sys.executable, "-m", "classbox", "agent"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        first = _wait_sample(config, proc, after=0.0)
        watch = CommitWatch(db_path(data_dir))
        later = first
        for _ in range(12):  # past the old 10 s heartbeat and a dozen samples
            later = _wait_sample(config, proc, after=later)
        assert not watch.committed(), "an idle agent wrote to classbox.db"
        assert later > first
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


def _config(data_dir):

    return make_config(data_dir)


def _wait_sample(config, proc, after: float, timeout: float = 30.0) -> float:
    """Poll the RAM state until a sample newer than `after` is there; its monotonic time."""
    def newer() -> float | None:
        assert proc.poll() is None, "the agent stopped"
        with reading_volatile(config) as vol:
            sample = get_state(vol, LATEST_KEY) if vol is not None else None
        return sample["monotonic"] if sample and sample["monotonic"] > after else None

    return wait_until(newer, timeout, 0.05, "a new sample from the agent")


def test_an_hour_of_failed_fleet_pushes_writes_nothing_and_logs_once(config, service, db, clock, client,
                                                                     caplog):
    from classbox.health.heartbeat import push_once

    config["fleet"]["pushgateway"] = "http://127.0.0.1:9"
    service.tick(db)
    watch = CommitWatch(db_path(config.data_dir))

    def refused(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    with caplog.at_level("INFO", logger="classbox.health"):
        for i in range(12):  # every 5 minutes
            push_once(db, config, "box", push=refused, now=clock.wall() + 300 * i, vol=service.vol)
    assert not watch.committed()
    assert len([r for r in caplog.records if "fleet heartbeat" in r.getMessage()]) == 1
    alert = next(a for a in client.get("/api/health").get_json()["alerts"] if a["id"] == "heartbeat")
    assert alert["level"] == "warn" and "Connection refused" in alert["message"]
