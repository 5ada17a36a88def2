"""classbox web behind the shipped nginx site (real nginx, real gunicorn): what the proxy must not lose.

Clients on two loopback addresses (127.0.0.2, 127.0.0.3) stand for two devices on the Wi-Fi: the
app must tell them apart (its limits key on the client's address), and files nginx sends itself
(X-Accel-Redirect) must keep the sandbox the app puts on them.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from urllib.parse import parse_qs

import pytest
import requests
import socketio
from requests.adapters import HTTPAdapter

from classbox.library import import_path
from tests.helpers import LiveServer, free_port, make_config, require_apt, wait_http, with_accounts
from tests.library.conftest import make_zim, manifest
from tests.library.h5pbuild import write_h5p
from tests.provisioning.test_nginx_site import main_conf, render_site

TEACHER = ("prof.nginx", "prof-nginx-password-1")
DEVICES = ("127.0.0.2", "127.0.0.3")
ACTIVE = {
    "dessin.svg": b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    "page.xhtml": b"<html xmlns='http://www.w3.org/1999/xhtml'><body><script>alert(1)</script></body></html>",
    "donnees.xml": b"<?xml version='1.0'?><r xmlns:h='http://www.w3.org/1999/xhtml'><h:script>alert(1)</h:script></r>",
    "lecon.html": b"<!doctype html><script>alert(1)</script>",
    "image.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
}


class SourceAddress(HTTPAdapter):
    """Connections from one loopback address: a device of its own."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def device(address: str) -> requests.Session:
    """A browser-like session whose TCP connections come from `address`."""
    session = requests.Session()
    session.mount("http://", SourceAddress(address))
    return session


def nginx_conf(tmp_path, upstream_port: int, port: int, blobs) -> str:
    """The role's site in a minimal nginx.conf, listening on 127.0.0.1 and the devices' addresses."""
    site = render_site(upstream_port, port, blobs, tmp_path / "zim-cache", blobs.parent / "run")
    listens = "".join(f"listen {a}:{port};\n    " for a in DEVICES)
    site = site.replace(f"listen 127.0.0.1:{port} default_server;", f"listen 127.0.0.1:{port} default_server;\n    {listens}")
    return main_conf(tmp_path, site, connections=256)


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    """classbox web (behind_nginx) with a pack of active files and a ZIM, and the shipped nginx site in front."""
    nginx = require_apt("nginx")
    tmp_path = tmp_path_factory.mktemp("nginx")
    data = tmp_path / "data"
    config = with_accounts(make_config(data, **{"library.min_free_mb": 1}), (TEACHER[0], "teacher", TEACHER[1], "Prof"))
    pack = tmp_path / "pack.zip"
    resources = [{"path": name, "title": name, "kind": "other"} for name in ACTIVE]
    with zipfile.ZipFile(pack, "w") as zf:
        import json

        zf.writestr("classbox-pack.json", json.dumps(manifest(id="actifs", resources=resources)))
        for name, content in ACTIVE.items():
            zf.writestr(name, content)
    import_path(config, pack)
    import_path(config, make_zim(tmp_path / "v.zim"))
    import_path(config, write_h5p(tmp_path / "exercice.h5p"))
    port = free_port()
    server = LiveServer(data, command="web", extra_env={
        "CLASSBOX_WEB_BEHIND_NGINX": "true", "CLASSBOX_CLASSROOM_JOINS_PER_IP_BURST": "3",
        "CLASSBOX_DISCOVERY_ENABLED": "false", "CLASSBOX_SYNC_ENABLED": "false",
        "CLASSBOX_LIBRARY_H5P_ORIGIN": f"http://localhost:{port}"})  # the H5P player's site: another name
    server.start()
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf(tmp_path, server.port, port, data / "blobs"))
    checked = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
        yield {"port": port, "config": config, "server": server}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        server.stop()


def url(box, address: str = "127.0.0.1", path: str = "/") -> str:
    return f"http://{address}:{box['port']}{path}"


def blob_shas(box) -> dict[str, str]:
    from classbox.storage import open_database

    db = open_database(box["config"].data_dir)
    try:
        return {row[0]: row[1] for row in db.execute("SELECT path, sha256 FROM resource WHERE pack = 'actifs'")}
    finally:
        db.conn.close()


@pytest.mark.peer
@pytest.mark.parametrize("name", list(ACTIVE))
def test_files_nginx_sends_keep_the_sandbox_and_nosniff(box, name):
    sha = blob_shas(box)[name]
    for path in (f"/blobs/{sha}", f"/library/files/actifs/{name}"):
        response = requests.get(url(box, path=path))
        assert response.status_code == 200 and response.content == ACTIVE[name]
        assert "X-Accel-Redirect" not in response.headers and "public, immutable" in response.headers["Cache-Control"]
        assert response.headers.get("X-Content-Type-Options") == "nosniff", (path, dict(response.headers))
        assert "sandbox" in response.headers.get("Content-Security-Policy", ""), (path, dict(response.headers))


@pytest.mark.peer
def test_h5p_files_nginx_sends_stay_readable_by_the_sandboxed_player(box):
    db_rid = resource_ids(box, "h5p-%")[0]
    html = requests.get(url(box, path=f"/h5p/play/{db_rid}")).text
    options = json.loads(re.search(r'id="h5p-options">(.*?)</script>', html, re.S).group(1))["player"]
    for path, mime in ((options["h5pJsonPath"] + "/h5p.json", "application/json"),
                       (options["librariesPath"] + "/H5P.ClassboxQuestion-1.0/classbox-question.js", "text/javascript"),
                       (options["frameCss"], "text/css")):
        response = requests.get(url(box, path=path))
        assert response.status_code == 200 and "X-Accel-Redirect" not in response.headers, path
        assert response.headers["Content-Type"].split(";")[0] == mime, (path, dict(response.headers))
        assert response.headers.get("Access-Control-Allow-Origin") == "*", (path, dict(response.headers))
        assert "immutable" in response.headers["Cache-Control"], (path, dict(response.headers))


@pytest.mark.peer
def test_the_h5p_player_plays_on_its_own_site_through_the_shipped_site(box):
    rid = resource_ids(box, "h5p-%")[0]
    page = url(box, path="/")[:-1]
    # nginx passes the name without its port: the frame's Referer names the page around it exactly
    sent = requests.get(url(box, path=f"/h5p/play/{rid}"), headers={"Referer": page + "/"}, allow_redirects=False)
    assert sent.status_code == 302, sent.status_code
    player = f"http://localhost:{box['port']}"
    where, _, query = sent.headers["Location"].partition("?")
    parent = parse_qs(query)["parent"][0]  # signed by the box (itsdangerous): value.timestamp.signature
    assert where == f"{player}/h5p/play/{rid}" and parent.rsplit(".", 2)[0] == f"http://127.0.0.1:{box['port']}"
    played = requests.get(sent.headers["Location"], allow_redirects=False)
    assert played.status_code == 200
    policy = played.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts allow-same-origin;") and f"frame-ancestors {page}" in policy
    options = json.loads(re.search(r'id="h5p-options">(.*?)</script>', played.text, re.S).group(1))["player"]
    script = requests.get(player + options["librariesPath"] + "/H5P.ClassboxQuestion-1.0/classbox-question.js")
    assert script.status_code == 200 and "immutable" in script.headers["Cache-Control"]
    # the box's pages may frame it
    assert f"frame-src 'self' {player};" in requests.get(url(box, path=f"/library/{rid}")).headers["Content-Security-Policy"]


def resource_ids(box, pack_like: str) -> list[str]:
    """Resource ids of the packs matching `pack_like`."""
    from classbox.storage import open_database

    db = open_database(box["config"].data_dir)
    try:
        return [row[0] for row in db.execute("SELECT id FROM resource WHERE pack LIKE ?", [pack_like])]
    finally:
        db.conn.close()


@pytest.mark.peer
def test_zim_entries_through_the_nginx_cache_keep_the_sandbox(box):
    for _ in range(2):  # a MISS, then a HIT from nginx's cache
        response = requests.get(url(box, path="/zim/vikidia_fr_test/style/main.css"))
        assert response.status_code == 200
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Cache"] == "HIT"


def login_form(session: requests.Session, box, address: str, login: str, password: str) -> requests.Response:
    page = session.get(url(box, address, "/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return session.post(url(box, address, "/login"), data={"login": login, "password": password, "csrf_token": token},
                        allow_redirects=False)


@pytest.mark.peer
def test_one_device_flooding_logins_does_not_lock_another_devices_login(box):
    flooder = device(DEVICES[0])
    for attempt in range(200):  # different logins each time: only the per-address limit can stop it
        if login_form(flooder, box, DEVICES[0], f"inconnu{attempt}", "mauvais").status_code == 429:
            break
    else:
        pytest.fail("the flooding device was never throttled")
    teacher = login_form(device(DEVICES[1]), box, DEVICES[1], *TEACHER)
    assert teacher.status_code == 302, teacher.text[-500:]


def pupil_socket(address: str, box) -> socketio.Client:
    sio = socketio.Client(http_session=device(address), reconnection=False)
    sio.connect(url(box, address), namespaces=["/classroom"], transports=["polling"], wait_timeout=10)
    return sio


@pytest.mark.peer
def test_one_device_flooding_joins_does_not_stop_another_device_joining(box):
    teacher_session = device("127.0.0.1")
    assert login_form(teacher_session, box, "127.0.0.1", *TEACHER).status_code == 302
    teacher = socketio.Client(http_session=teacher_session, reconnection=False)
    teacher.connect(url(box), namespaces=["/classroom"], transports=["polling"], wait_timeout=10)
    sockets = [teacher]
    try:
        code = teacher.call("open_session", {"title": "Derrière nginx"}, namespace="/classroom")["code"]
        flooder = pupil_socket(DEVICES[0], box)
        sockets.append(flooder)
        answers = [flooder.call("join", {"code": code, "name": f"Faux{i}"}, namespace="/classroom") for i in range(5)]
        assert answers[-1] == {"ok": False, "error": "rate_limited"} or answers[-1].get("error") == "rate_limited"
        real = pupil_socket(DEVICES[1], box)
        sockets.append(real)
        joined = real.call("join", {"code": code, "name": "Léa"}, namespace="/classroom")
        assert joined.get("ok") is True, joined
    finally:
        for sio in sockets:
            sio.disconnect()
