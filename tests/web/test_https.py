"""HTTPS on the LAN, app side: Secure cookies only over HTTPS, the HTTPS URL on /connect, its QR
code and the mDNS TXT record only when a certificate every device trusts is installed.

The app learns it two ways: `[web] https_url` (written by Ansible with a trusted certificate:
nginx then redirects every request to it) and, per request, the scheme nginx forwards from
127.0.0.1 (a box with a département CA serves HTTPS to managed tablets and plain HTTP to the others).
"""

from __future__ import annotations

import pytest

from classbox import create_app
from classbox.config import ConfigError
from classbox.discovery.advertiser import service_spec
from classbox.storage.core import set_state
from tests.helpers import make_config

HTTPS_URL = "https://ecole-du-bourg.ecoles.example.fr/"


def _client(tmp_path, **overrides):
    app = create_app(make_config(tmp_path / "data", **overrides))
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app, app.test_client()


def _language_cookie(client, **request) -> str:
    response = client.get("/lang/fr", **request)
    assert response.status_code == 302
    return response.headers["Set-Cookie"]


def _login_cookie(app, client, **request) -> str:
    from classbox.auth.users import add_user
    from classbox.storage import open_database

    db = open_database(app.config["CLASSBOX"].data_dir)
    add_user(db, "mme.martin", "teacher", "correct-horse-1", "Mme Martin")
    db.conn.close()
    response = client.post("/login", data={"login": "mme.martin", "password": "correct-horse-1"}, **request)
    assert response.status_code == 302
    return next(c for c in response.headers.get_all("Set-Cookie") if c.startswith("classbox_session="))


def test_plain_http_box_sets_no_secure_cookie(tmp_path):
    app, client = _client(tmp_path)
    assert "Secure" not in _language_cookie(client)
    assert "Secure" not in _login_cookie(app, client)


def test_with_a_trusted_certificate_every_cookie_is_secure(tmp_path):
    app, client = _client(tmp_path, **{"web.https_url": HTTPS_URL, "web.behind_nginx": True})
    assert "; Secure" in _language_cookie(client)
    assert "; Secure" in _login_cookie(app, client)


def test_a_request_nginx_forwards_as_https_gets_secure_cookies(tmp_path):
    """Département CA: managed tablets on https://, the others on http://, same box."""
    app, client = _client(tmp_path, **{"web.behind_nginx": True})
    over_tls = {"environ_base": {"REMOTE_ADDR": "127.0.0.1"}, "headers": {"X-Forwarded-Proto": "https"}}
    assert "; Secure" in _language_cookie(client, **over_tls)
    assert "; Secure" in _login_cookie(app, client, **over_tls)
    assert "Secure" not in _language_cookie(client, environ_base={"REMOTE_ADDR": "127.0.0.1"})


def test_a_device_cannot_claim_https_to_the_app_directly(tmp_path):
    _, client = _client(tmp_path, **{"web.behind_nginx": True})
    cookie = _language_cookie(client, environ_base={"REMOTE_ADDR": "192.168.1.23"},
                              headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in cookie


@pytest.fixture
def addresses(monkeypatch):
    monkeypatch.setattr("classbox.discovery.views.current_addresses", lambda config: lambda: ["192.168.1.20"])


def test_connect_gives_the_https_url_first_with_its_qr_code(tmp_path, addresses):
    app, client = _client(tmp_path, **{"web.https_url": HTTPS_URL, "web.behind_nginx": True})
    body = client.get("/api/connect").get_json()
    assert body["urls"][0]["url"] == HTTPS_URL and body["urls"][0]["main"] is True
    assert body["urls"][0]["kind"] == "https"
    assert all(u["main"] is False for u in body["urls"][1:])
    assert client.get("/connect/qr.svg", query_string={"url": HTTPS_URL}).status_code == 200
    page = client.get("/connect").get_data(as_text=True)
    assert page.index("ecole-du-bourg.ecoles.example.fr") < page.index("192.168.1.20")


def test_connect_join_links_use_the_https_url(tmp_path, addresses, monkeypatch):
    app, client = _client(tmp_path, **{"web.https_url": HTTPS_URL, "web.behind_nginx": True})
    monkeypatch.setattr("classbox.discovery.views.open_sessions",
                        lambda db, user: [{"code": "ABCD", "title": "Maths"}])
    body = client.get("/api/connect").get_json()
    assert body["sessions"][0]["join_url"] == HTTPS_URL + "join/ABCD"


def test_connect_without_https_url_stays_http(tmp_path, addresses):
    app, client = _client(tmp_path, **{"web.behind_nginx": True})
    with app.app_context():
        from classbox.storage import get_db
        with get_db().conn:
            set_state(get_db(), "discovery", {"mode": "zeroconf", "announcing": True})
    urls = [u["url"] for u in client.get("/api/connect").get_json()["urls"]]
    assert urls and all(u.startswith("http://") for u in urls)


def test_mdns_txt_carries_the_https_url_only_when_there_is_one(tmp_path):
    plain = service_spec(make_config(tmp_path, **{"box.school_uai": "0871234X"}), "cb-42", "1.2.3")
    assert plain.txt == {"path": "/", "id": "cb-42", "v": "1.2.3", "uai": "0871234X"}
    secure = service_spec(make_config(tmp_path, **{"box.school_uai": "0871234X", "web.https_url": HTTPS_URL}),
                          "cb-42", "1.2.3")
    assert secure.txt == {**plain.txt, "url": HTTPS_URL}


@pytest.mark.parametrize("bad", ["http://ecole.example.fr/", "ecole.example.fr", "https://", "https://a b/",
                                 "https://ecole.example.fr/page"])
def test_https_url_must_be_an_https_origin(tmp_path, bad):
    with pytest.raises(ConfigError, match=r"\[web\] https_url"):
        make_config(tmp_path, **{"web.https_url": bad})
