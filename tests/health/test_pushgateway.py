"""Fleet heartbeat: a real Pushgateway receives the box's series under its grouping labels."""

from __future__ import annotations

import socket
import subprocess
import threading

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from classbox.health import agent_services
from classbox.health.heartbeat import HeartbeatService, push_once
from classbox.health.report import HEARTBEAT_KEY
from classbox.storage.core import get_state

from tests.helpers import free_port, require_apt, stop_process_group, wait_http


@pytest.fixture
def pushgateway(tmp_path):
    """prometheus-pushgateway on a free loopback port, no persistence, stopped by PID."""
    binary = require_apt("prometheus-pushgateway")
    port = free_port()
    log = open(tmp_path / "pushgateway.log", "wb")
    proc = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/-/ready", proc=proc)
        yield url
    finally:
        stop_process_group(proc)
        log.close()


@pytest.fixture
def fleet_box(config):
    config["box"].update(school_uai="0420001A", academie="Lyon")
    return config


def gateway_series(url: str) -> dict:
    text = httpx.get(url + "/metrics", timeout=5).text
    return {f.name: f for f in text_string_to_metric_families(text)}


@pytest.mark.peer
def test_pushgateway_receives_series_with_grouping_labels(pushgateway, fleet_box, app, service, db):
    fleet_box["fleet"]["pushgateway"] = pushgateway
    service.tick(db)
    beat = push_once(db, fleet_box, app.config["BOX_ID"])
    assert beat["ok"], beat
    found = gateway_series(pushgateway)
    labels = {"job": "classbox", "instance": app.config["BOX_ID"], "uai": "0420001A", "academie": "Lyon"}
    temps = [s for s in found["classbox_temperature_celsius"].samples
             if all(s.labels.get(k) == v for k, v in labels.items())]
    assert [s.value for s in temps] == [55.5]
    assert any(s.labels.get("instance") == app.config["BOX_ID"] for s in found["push_time_seconds"].samples)
    assert get_state(db, HEARTBEAT_KEY)["last_ok_wall"] == beat["last_attempt_wall"]


@pytest.mark.peer
def test_agent_heartbeat_service_pushes(pushgateway, fleet_box, app, service, db):
    fleet_box["fleet"].update(pushgateway=pushgateway, interval_s=5.0)
    names = [s.name for s in agent_services(fleet_box)]
    assert names == ["health", "fleet-heartbeat"]
    service.tick(db)
    stop = threading.Event()
    thread = threading.Thread(target=HeartbeatService(fleet_box).run, args=(stop,), daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if "classbox_status_level" in gateway_series(pushgateway):
                break
            stop.wait(0.1)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert "classbox_status_level" in gateway_series(pushgateway)


def test_no_heartbeat_service_without_pushgateway(config):
    assert [s.name for s in agent_services(config)] == ["health"]


def test_unreachable_pushgateway_is_recorded_not_raised(fleet_box, app, service, db, client):
    fleet_box["fleet"]["pushgateway"] = f"http://127.0.0.1:{free_port()}"
    service.tick(db)
    first = push_once(db, fleet_box, app.config["BOX_ID"], now=1000.0)
    second = push_once(db, fleet_box, app.config["BOX_ID"], now=1300.0)
    assert not first["ok"] and not second["ok"]
    assert second["failures"] == 2 and second["since"] == 1000.0
    alert = next(a for a in client.get("/api/health").get_json()["alerts"] if a["id"] == "heartbeat")
    assert alert["level"] == "warn" and "Connection refused" in alert["message"]


def test_silent_pushgateway_times_out(fleet_box, app, service, db):
    """A gateway that accepts the connection but never answers costs at most the timeout."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        fleet_box["fleet"]["pushgateway"] = f"http://127.0.0.1:{server.getsockname()[1]}"
        beat = push_once(db, fleet_box, app.config["BOX_ID"], timeout=0.5)
    assert not beat["ok"] and "timed out" in beat["error"]


def test_no_link_means_no_push(fleet_box, app, service, db, fake_psutil):
    fake_psutil.ifaces = {name: st._replace(isup=False) for name, st in fake_psutil.ifaces.items()}
    service.tick(db)
    calls = []
    beat = push_once(db, fleet_box, app.config["BOX_ID"], push=lambda *a, **k: calls.append(a))
    assert calls == [] and not beat["ok"] and "réseau" in beat["error"]


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1/x", "http://[::1"])
def test_bad_pushgateway_urls_are_recorded_not_raised(fleet_box, app, service, db, url):
    fleet_box["fleet"]["pushgateway"] = url
    service.tick(db)
    beat = push_once(db, fleet_box, app.config["BOX_ID"], timeout=2.0)
    assert not beat["ok"] and beat["error"]


@pytest.mark.slow
def test_a_hung_pushgateway_never_blocks_the_sampler(fleet_box, app, db, monkeypatch):
    """The heartbeat waits on a gateway that never answers; samples keep coming meanwhile."""
    from classbox.health.service import LATEST_KEY, HealthService
    from classbox.storage.volatile import reading_volatile

    def latest_monotonic() -> float:
        with reading_volatile(fleet_box) as vol:  # the sampler keeps its latest sample in RAM
            return get_state(vol, LATEST_KEY)["monotonic"]

    monkeypatch.setattr("classbox.health.heartbeat.PUSH_TIMEOUT_S", 4.0)
    with socket.socket() as gateway:
        gateway.bind(("127.0.0.1", 0))
        gateway.listen()
        fleet_box["fleet"].update(pushgateway=f"http://127.0.0.1:{gateway.getsockname()[1]}", interval_s=5.0)
        fleet_box["health"]["interval_s"] = 1.0
        stop = threading.Event()
        threads = [threading.Thread(target=s.run, args=(stop,), daemon=True)
                   for s in (HealthService(fleet_box), HeartbeatService(fleet_box))]
        for thread in threads:
            thread.start()
        gateway.settimeout(15)
        try:
            conn, _ = gateway.accept()  # the heartbeat is now stuck waiting for an answer
            with conn:
                first = latest_monotonic()
                stop.wait(2.5)
                later = latest_monotonic()
                assert later - first >= 1.0  # the sampler went on while the push hung
                stop.set()
                for thread in threads:
                    thread.join(10)
        finally:
            stop.set()
    assert not any(t.is_alive() for t in threads)
    with reading_volatile(fleet_box) as vol:  # the push outcome is kept in RAM
        beat = get_state(vol, HEARTBEAT_KEY)
    assert beat["ok"] is False and "timed out" in beat["error"]
