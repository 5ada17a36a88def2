"""/api/health and /metrics details: admins, the box itself, or a monitoring token; /healthz stays public."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from classbox.auth.users import add_user
from tests.helpers import make_config

LAN = {"REMOTE_ADDR": "192.168.1.23"}
SECRETS = ("data_dir", "interfaces", "box")


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "monitoring.token"
    path.write_text("s3cret-monitoring-token-0123456789\n")
    return path


@pytest.fixture
def config(tmp_path, token_file):
    return make_config(**{"data_dir": tmp_path / "data",
                                                          "health.token_file": str(token_file)})


def test_healthz_stays_public(client):
    assert client.get("/healthz", environ_base=LAN).data == b"ok\n"


def test_a_device_on_the_wifi_sees_only_the_status(client, config):
    body = client.get("/api/health", environ_base=LAN).get_json()
    assert set(body) == {"status", "db", "details"} and body["details"] is False
    text = client.get("/api/health", environ_base=LAN).get_data(as_text=True)
    assert str(config.data_dir) not in text and "interfaces" not in text


def test_metrics_need_the_token_from_the_wifi(client, config):
    refused = client.get("/metrics", environ_base=LAN)
    assert refused.status_code == 401 and "Bearer" in refused.headers["WWW-Authenticate"]
    assert str(config.data_dir) not in refused.get_data(as_text=True) and "classbox_" not in refused.get_data(as_text=True)
    wrong = client.get("/metrics", environ_base=LAN, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_prometheus_scrapes_with_the_bearer_token(client):
    good = {"Authorization": "Bearer s3cret-monitoring-token-0123456789"}
    response = client.get("/metrics", environ_base=LAN, headers=good)
    assert response.status_code == 200
    names = {family.name for family in text_string_to_metric_families(response.get_data(as_text=True))}
    assert "classbox_up" in names or any(name.startswith("classbox_") for name in names)
    body = client.get("/api/health", environ_base=LAN, headers=good).get_json()
    assert {"box", "version", "db"} <= set(body)


def test_the_box_itself_sees_everything(client):
    body = client.get("/api/health", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()
    assert {"box", "version", "uptime_seconds"} <= set(body)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_a_logged_in_admin_sees_everything_a_teacher_does_not(app, client, db):
    add_user(db, "tech", "admin", "long-admin-password-1", "Tech")
    add_user(db, "prof", "teacher", "long-teacher-password-1", "Prof")
    for login, password, sees in (("prof", "long-teacher-password-1", False), ("tech", "long-admin-password-1", True)):
        browser = app.test_client()
        browser.post("/login", data={"login": login, "password": password}, environ_base=LAN)
        body = browser.get("/api/health", environ_base=LAN).get_json()
        assert ("box" in body) is sees
        assert (browser.get("/metrics", environ_base=LAN).status_code == 200) is sees


def test_no_token_configured_means_no_token_accepted(tmp_path):
    from classbox import create_app

    app = create_app(make_config(tmp_path / "d"))
    response = app.test_client().get("/metrics", environ_base=LAN, headers={"Authorization": "Bearer "})
    assert response.status_code == 401
