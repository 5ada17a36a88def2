"""[web] behind_nginx: the forwarded address is believed from the local proxy only."""

from __future__ import annotations

import pytest

from classbox import create_app
from tests.helpers import make_config


@pytest.fixture
def proxied_client(tmp_path):
    app = create_app(make_config(**{"data_dir": tmp_path / "d",
                                                                     "web.behind_nginx": True}))
    return app.test_client()


def sees_details(client, peer: str, forwarded: str | None) -> bool:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return "box" in client.get("/api/health", environ_base={"REMOTE_ADDR": peer}, headers=headers).get_json()


def test_a_device_behind_nginx_is_not_the_box(proxied_client):
    assert sees_details(proxied_client, "127.0.0.1", "192.168.1.23") is False


def test_nginx_appends_so_the_last_forwarded_address_counts(proxied_client):
    assert sees_details(proxied_client, "127.0.0.1", "127.0.0.1, 192.168.1.23") is False


def test_a_device_reaching_the_app_directly_cannot_claim_another_address(proxied_client):
    assert sees_details(proxied_client, "192.168.1.23", "127.0.0.1") is False


def test_the_box_itself_without_nginx_is_still_the_box(proxied_client):
    assert sees_details(proxied_client, "127.0.0.1", None) is True
