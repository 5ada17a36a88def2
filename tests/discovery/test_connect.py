"""/connect and /api/connect: URLs IP first then .local, QR codes, the open sessions the classroom reports."""

from __future__ import annotations

import subprocess

import pytest

from classbox.discovery.connect import box_urls, http_url, open_sessions, request_host
from classbox.storage.core import set_state
from classbox.web.links import join_url
from tests.helpers import require_apt

TEACHER = {"id": 7, "role": "teacher"}


@pytest.fixture
def addresses(monkeypatch):
    """The box's addresses, as the web process would enumerate them."""
    found = ["192.168.1.20", "10.42.0.1", "fd00::20"]
    monkeypatch.setattr("classbox.discovery.views.current_addresses", lambda config: lambda: list(found))
    return found


@pytest.fixture
def announced(db):
    with db.conn:
        set_state(db, "discovery", {"mode": "zeroconf", "announcing": True, "addresses": ["192.168.1.20"]})


def test_ip_url_first_then_local(app, client, addresses, announced):
    app.config["CLASSBOX"]["discovery"]["hostname"] = "classbox-ferry"
    body = client.get("/api/connect", headers={"Host": "localhost:8080"}).get_json()
    urls = [u["url"] for u in body["urls"]]
    assert urls[:2] == ["http://192.168.1.20:8080/", "http://classbox-ferry.local:8080/"]
    assert "http://[fd00::20]:8080/" in urls
    assert body["urls"][0]["qr_svg"].startswith("<svg") and body["box"]["id"] == app.config["BOX_ID"]


def test_the_address_the_request_came_in_on_goes_first(client, addresses, announced):
    body = client.get("/api/connect", headers={"Host": "10.42.0.1:8080"}).get_json()
    assert body["urls"][0]["url"] == "http://10.42.0.1:8080/"


@pytest.mark.parametrize("host", ["evil.example:8080", "10.42.0.1.evil:80", "<script>", "[::1]:8080", ""])
def test_a_hostile_host_header_never_reaches_a_url(client, addresses, host):
    body = client.get("/api/connect", headers={"Host": host}).get_json() if host else \
        client.get("/api/connect").get_json()
    assert all("evil" not in u["url"] and "<" not in u["url"] for u in body["urls"])
    assert body["urls"][0]["url"] == "http://192.168.1.20:8080/"


def test_local_url_hidden_from_the_projector_when_not_announced(client, addresses, db):
    with db.conn:
        set_state(db, "discovery", {"mode": "zeroconf", "announcing": False, "addresses": []})
    page = client.get("/connect").get_data(as_text=True)
    assert page.count('class="connect-url"') == 1 and "192.168.1.20:8080" in page
    mdns = [u for u in client.get("/api/connect").get_json()["urls"] if u["kind"] == "mdns"]
    assert mdns[0]["announced"] is False and mdns[0]["main"] is False


def test_page_is_french_large_and_refreshes(client, addresses, announced):
    page = client.get("/connect").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Connectez-vous" in page
    assert 'class="projector"' in page and 'pages/live-refresh.js" data-every="30"' in page and 'http-equiv="refresh"' not in page
    assert page.count("<svg") == 2  # IP URL and .local URL, each with its QR code
    assert "https://" not in page and "//cdn" not in page


def test_no_address_says_so(client, monkeypatch):
    monkeypatch.setattr("classbox.discovery.views.current_addresses", lambda config: lambda: [])
    page = client.get("/connect").get_data(as_text=True)
    assert "Aucune adresse réseau" in page


def test_qr_png_is_only_made_for_urls_the_page_shows(client, addresses):
    assert client.get("/connect/qr.png?url=http://192.168.1.20:8080/").mimetype == "image/png"
    assert client.get("/connect/qr.svg?url=http://192.168.1.20:8080/").mimetype == "image/svg+xml"
    assert client.get("/connect/qr.png?url=http://phishing.example/").status_code == 404
    assert client.get("/connect/qr.png").status_code == 404
    assert client.get("/connect/qr.gif?url=http://192.168.1.20:8080/").status_code == 404


@pytest.mark.peer
def test_qr_codes_decode_to_the_urls(client, addresses, announced, tmp_path):
    zbarimg = require_apt("zbarimg", "zbar-tools")
    urls = [u["url"] for u in client.get("/api/connect").get_json()["urls"]]
    assert len(urls) == 4
    for url in urls:
        png = tmp_path / "qr.png"
        response = client.get("/connect/qr.png", query_string={"url": url})
        assert response.mimetype == "image/png"
        png.write_bytes(response.data)
        decoded = subprocess.run([zbarimg, "--raw", "-q", str(png)], capture_output=True, text=True, check=True)
        assert decoded.stdout.strip() == url


def _sessions(db) -> dict:
    """Two teachers' sessions through the classroom's own store: one closed, three open."""
    from classbox.classroom import store

    mine, other = {"id": 7, "login": "mme.martin"}, {"id": 8, "login": "m.durand"}
    with db.conn:
        closed = store.create_session(db, mine, "Hier")
        store.close_session(db, closed["id"])
        opened = [store.create_session(db, who, title) for who, title in
                  ((mine, "Maths"), (other, "Histoire"), (mine, "Sciences"))]
    return {s["title"]: s["code"] for s in opened}


def test_the_connect_page_lists_the_open_sessions_the_classroom_reports(db):
    codes = _sessions(db)
    assert open_sessions(db, TEACHER) == [{"code": codes["Sciences"], "title": "Sciences"},
                                          {"code": codes["Maths"], "title": "Maths"}]


def test_a_teacher_sees_only_their_sessions_an_admin_all_nobody_none(db):
    codes = _sessions(db)
    assert [s["code"] for s in open_sessions(db, {"id": 8, "role": "teacher"})] == [codes["Histoire"]]
    assert {s["code"] for s in open_sessions(db, {"id": 1, "role": "admin"})} == set(codes.values())
    assert open_sessions(db, None) == []


@pytest.mark.peer
def test_open_session_join_link_and_qr_for_a_logged_in_teacher(client, login, teacher, addresses, monkeypatch,
                                                              tmp_path):
    monkeypatch.setattr("classbox.discovery.views.open_sessions",
                        lambda db, user: [{"code": "AB12", "title": "Sciences"}] if user else [])
    assert client.get("/api/connect").get_json()["sessions"] == []
    login(teacher)
    body = client.get("/api/connect").get_json()
    [session] = body["sessions"]
    assert session["join_url"] == "http://192.168.1.20:8080/join/AB12"
    page = client.get("/connect").get_data(as_text=True)
    assert "Séance ouverte : Sciences" in page and "AB12" in page
    zbarimg = require_apt("zbarimg", "zbar-tools")
    png = tmp_path / "join.png"
    png.write_bytes(client.get("/connect/qr.png?url=http://192.168.1.20:8080/join/AB12").data)
    decoded = subprocess.run([zbarimg, "--raw", "-q", str(png)], capture_output=True, text=True, check=True)
    assert decoded.stdout.strip() == "http://192.168.1.20:8080/join/AB12"


@pytest.mark.parametrize("header, host", [("10.0.0.5:8080", "10.0.0.5"), ("[fd00::1]:80", "fd00::1"),
                                          ("fd00::1", "fd00::1"), ("box.local", "box.local")])
def test_request_host(header, host):
    assert request_host(header) == host


def test_http_url_forms():
    assert http_url("fd00::1", 80) == "http://[fd00::1]/"
    assert http_url("10.0.0.5", 8080, "/join/X") == "http://10.0.0.5:8080/join/X"
    assert box_urls([], "box", 80)[0]["kind"] == "mdns"
    assert join_url("A B", "http://10.0.0.5/") == "http://10.0.0.5/join/A%20B"
