"""/api/health, /metrics and `classbox health` report the latest sample and its alerts."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from classbox.cli import cli
from classbox.storage.core import set_state
from classbox.sync.outbox import enqueue


@pytest.fixture
def sampled(service, db, fake_psutil, clock, monkeypatch):
    """A box with two stored samples (the second has rates), sampled 'now'."""
    monkeypatch.setattr("time.time", clock.wall)
    with db.conn:
        set_state(db, "classroom.live", {"pupils": 24, "teachers": 1, "sessions": 1})
        set_state(db, "last_backup", {"path": "/b.db", "size": 10, "wall_time": clock.wall() - 3600})
        enqueue(db, "xapi", "lrs", {"n": 1}, "key-1")
        enqueue(db, "xapi", "lrs", {"n": 2}, "key-2")
        db.execute("UPDATE outbox SET state = 'dead' WHERE idempotency_key = 'key-2'")
    service.tick(db)
    fake_psutil.busy += 30.0
    fake_psutil.idle += 30.0
    clock.advance(60)
    return service.tick(db)


def test_api_health_keeps_the_foundation_fields(client):
    body = client.get("/api/health").get_json()
    assert {"status", "version", "box", "uptime_seconds", "db"} <= set(body)
    assert body["db"]["ok"] is True
    assert set(body["box"]) >= {"id", "name", "school_uai"}


def test_api_health_without_agent_warns(client):
    body = client.get("/api/health").get_json()
    assert body["status"] == "warn"
    assert body["alerts"][0]["id"] == "sampler" and body["sample"] is None


def test_api_health_reports_sample_and_alerts_worst_first(client, sampled, fake_psutil, service, db, clock):
    fake_psutil.disk_percent = 98.0
    fake_psutil.busy += 15.0
    fake_psutil.idle += 45.0
    clock.advance(60)
    service.tick(db)
    body = client.get("/api/health").get_json()
    assert body["status"] == "critical"
    assert [a["level"] for a in body["alerts"][:2]] == ["critical", "warn"]
    assert body["alerts"][0]["id"] == "disk" and body["alerts"][0]["since"] == clock.wall()
    assert body["alerts"][1]["id"] == "dead_records"
    assert body["sample"]["system"]["cpu_percent"] == 25.0
    assert body["sample"]["app"]["classroom"]["pupils"] == 24
    assert body["sample"]["app"]["outbox"]["targets"]["lrs"] == {
        "pending": 1, "dead": 1, "oldest_pending_age_seconds": body["sample"]["app"]["outbox"]["targets"]["lrs"][
            "oldest_pending_age_seconds"]}
    assert body["history"]["minute_points"] == 3
    assert body["sample"]["age_seconds"] == 0


def test_stale_sample_is_flagged(client, sampled, clock, config):
    clock.advance(10 * config["health"]["interval_s"])
    sampler_alert = next(a for a in client.get("/api/health").get_json()["alerts"] if a["id"] == "sampler")
    assert sampler_alert["level"] == "warn"


def families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(family, **labels) -> float:
    matches = [s.value for s in family.samples if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matches) == 1, (family.name, labels, family.samples)
    return matches[0]


def test_metrics_parse_back_with_classbox_names_and_units(client, sampled, app):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    found = families(response.get_data(as_text=True))
    assert found and all(name.startswith("classbox_") for name in found)
    assert value(found["classbox_cpu_usage_ratio"]) == 0.5
    assert value(found["classbox_temperature_celsius"]) == 55.5
    assert value(found["classbox_data_disk_total_bytes"]) == 32 * 1024 ** 3
    assert value(found["classbox_uptime_seconds"]) == 3600.25
    assert value(found["classbox_pupils_connected"]) == 24
    assert value(found["classbox_outbox_pending"], target="lrs") == 1
    assert value(found["classbox_outbox_dead"], target="lrs") == 1
    assert value(found["classbox_outbox_oldest_pending_age_seconds"], target="lrs") >= 0
    assert value(found["classbox_power_flag"], flag="under_voltage") == 0
    assert value(found["classbox_interface_up"], interface="wlan0") == 1
    assert value(found["classbox_alert_level"], alert="dead_records") == 1
    assert value(found["classbox_status_level"]) == 1
    assert found["classbox_disk_written_bytes"].type == "counter"
    assert value(found["classbox_build_info"], box_id=app.config["BOX_ID"]) == 1
    units = [n for n in found if n.endswith(("_bytes", "_seconds", "_celsius", "_ratio"))]
    assert not [n for n in found if "percent" in n or n.endswith(("_mb", "_kb", "_ms"))]
    assert len(units) >= 10


def test_metrics_without_any_sample(client):
    found = families(client.get("/metrics").get_data(as_text=True))
    assert value(found["classbox_alert_level"], alert="sampler") == 1
    assert "classbox_cpu_usage_ratio" not in found


def test_cli_json_matches_the_api(runner, sampled, config, client):
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "health", "--json"])
    report = json.loads(result.output)
    api = client.get("/api/health").get_json()
    assert result.exit_code == 1  # the dead record is a warning
    assert report["status"] == api["status"] == "warn"
    assert [a["id"] for a in report["alerts"]] == [a["id"] for a in api["alerts"]]
    assert report["sample"] == api["sample"]


@pytest.mark.parametrize("disk_percent, code, word", [(40.0, 0, "OK"), (92.0, 1, "WARN"), (99.0, 2, "CRITICAL")])
def test_cli_exit_codes(runner, service, db, config, fake_psutil, clock, monkeypatch, disk_percent, code, word):
    monkeypatch.setattr("time.time", clock.wall)
    with db.conn:
        set_state(db, "last_backup", {"path": "/b.db", "size": 10, "wall_time": clock.wall()})
    fake_psutil.disk_percent = disk_percent
    service.tick(db)
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "health"])
    assert result.exit_code == code, result.output
    assert f"status: {word}" in result.output
    assert f"disk {disk_percent:.0f} %" in result.output and "temp 55.5 °C" in result.output


def test_cli_health_is_documented(runner):
    result = runner.invoke(cli, ["health", "--help"])
    assert result.exit_code == 0 and "exit 0 ok, 1 warn, 2 critical" in result.output


def test_metrics_use_a_private_registry(client, sampled):
    from prometheus_client import REGISTRY

    client.get("/metrics")
    assert not [m.name for m in REGISTRY.collect() if m.name.startswith("classbox")]
