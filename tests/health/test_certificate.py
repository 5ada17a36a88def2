"""The HTTPS certificate in the box's health: issuer, names and days left in /api/health and
/metrics; a warning at 21 days, critical at 7 (and when expired or unreadable)."""

from __future__ import annotations

import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from classbox.health import alerts
from tests.certificates import make_authority, make_leaf, pem

NAME = "ecole-du-bourg.ecoles.example.fr"


@pytest.fixture
def certificate(config, clock, tmp_path):
    """Install a certificate ending `days_left` after the fake clock's now, where nginx's is."""
    root = make_authority("Pebble Root CA 1a2b3c")
    middle = make_authority("Pebble Intermediate CA 4d5e6f", root)

    def install(days_left: float) -> datetime.datetime:
        now = datetime.datetime.fromtimestamp(clock.wall(), datetime.timezone.utc)
        leaf, _ = make_leaf(middle, [NAME, "ecole-du-bourg.local"], days_left=days_left, days_old=90, now=now)
        path = tmp_path / "fullchain.pem"
        path.write_bytes(pem(leaf) + pem(middle.cert))
        config["web"]["tls_certificate"] = str(path)
        return now + datetime.timedelta(days=days_left)
    return install


def _certificate_alert(client) -> dict:
    return next(a for a in client.get("/api/health").get_json()["alerts"] if a["id"] == "certificate")


@pytest.mark.parametrize("days_left, level", [(60, "ok"), (21.5, "ok"), (20, "warn"), (7.5, "warn"),
                                              (6, "critical"), (-2, "critical")])
def test_days_left_give_the_level(client, service, db, certificate, days_left, level):
    certificate(days_left)
    service.tick(db)
    found = _certificate_alert(client)
    assert found["level"] == level, found
    assert NAME in found["message"]


def test_api_health_names_issuer_names_and_days_left(client, service, db, certificate):
    not_after = certificate(30)
    service.tick(db)
    tls = client.get("/api/health").get_json()["sample"]["app"]["tls"]
    assert tls["issuer"] == "Pebble Intermediate CA 4d5e6f"
    assert tls["names"] == [NAME, "ecole-du-bourg.local"]
    assert tls["days_left"] == pytest.approx(30, abs=0.01)
    assert tls["not_after"] == pytest.approx(not_after.timestamp(), abs=1)


def test_metrics_give_the_expiry_and_the_certificate(client, service, db, certificate):
    not_after = certificate(30)
    service.tick(db)
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True))}
    expiry = families["classbox_tls_certificate_expiry_timestamp_seconds"].samples[0]
    assert expiry.value == pytest.approx(not_after.timestamp(), abs=1)
    info = families["classbox_tls_certificate_info"].samples[0]
    assert info.labels == {"issuer": "Pebble Intermediate CA 4d5e6f", "names": f"{NAME},ecole-du-bourg.local"}
    levels = {s.labels["alert"]: s.value for s in families["classbox_alert_level"].samples}
    assert levels["certificate"] == 0


def test_no_certificate_is_plain_http_not_an_alarm(client, service, db):
    service.tick(db)
    assert _certificate_alert(client)["level"] == "ok"
    assert client.get("/api/health").get_json()["sample"]["app"]["tls"] is None
    assert "classbox_tls_certificate_expiry" not in client.get("/metrics").get_data(as_text=True)


@pytest.mark.parametrize("content", [None, b"not a certificate\n", b""])
def test_an_unreadable_certificate_is_critical(client, service, db, config, tmp_path, content):
    path = tmp_path / "fullchain.pem"
    if content is not None:
        path.write_bytes(content)
    config["web"]["tls_certificate"] = str(path)
    service.tick(db)
    found = _certificate_alert(client)
    assert found["level"] == "critical" and str(path) in found["message"]


def test_thresholds_come_from_config(config):
    config["health"]["cert_warn_days"], config["health"]["cert_critical_days"] = 40.0, 30.0
    sample = {"wall": 0.0, "system": {}, "app": {"tls": {"issuer": "x", "names": [NAME], "days_left": 35.0,
                                                          "not_after": 35 * 86400.0}}, "errors": {}}
    assert alerts.evaluate(sample, config["health"])["certificate"]["level"] == "warn"
