"""The classbox_nginx site served by a real nginx in front of a stand-in web app.

Checks what the role promises: blobs through X-Accel-Redirect from the internal /_blobs/
location with a long cache, /_blobs/ unreachable directly, ZIM pages cached (one request per
entry reaches the app), WebSocket upgrade for /socket.io, gzip for text.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import os
import re
import socketserver
import subprocess
import threading
from pathlib import Path

import httpx
import jinja2
import pytest

from tests.helpers import free_port, require_apt, wait_http

ROLE = Path(__file__).resolve().parents[2] / "ansible" / "roles" / "classbox_nginx"
BLOB = b"contenu d'une ressource\n" * 100
SHA = hashlib.sha256(BLOB).hexdigest()
PAGE = ("<!doctype html><html lang=fr><body>" + "Bonjour la classe ! " * 400 + "</body></html>").encode()


class StandIn(http.server.BaseHTTPRequestHandler):
    """What classbox web answers behind nginx, reduced to the headers nginx acts on."""

    zim_requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.startswith("/zim/"):
            self.zim_requests.append(self.path)
            body = f"<p>article {self.path}</p>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Cache-Control", "public, max-age=86400")  # classbox/library/zimviews.py
            self.send_header("ETag", '"e1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path.startswith("/blobs/"):
            sha = self.path.rsplit("/", 1)[1]
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("X-Accel-Redirect", f"/_blobs/{sha[:2]}/{sha[2:4]}/{sha}")
            self.end_headers()
        elif self.path.startswith("/socket.io/") and self.headers.get("Upgrade", "").lower() == "websocket":
            key = self.headers["Sec-WebSocket-Key"]
            accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept.decode())
            self.end_headers()
            self.close_connection = True
        else:
            self.send_response(200)
            kind = "text/javascript" if self.path.endswith(".js") else "text/html"  # Flask's types
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

    def log_message(self, *args) -> None:
        pass


class UnixHTTPServer(socketserver.ThreadingUnixStreamServer):
    """The stand-in on a unix socket, as `classbox web` listens for nginx's Socket.IO slots."""

    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("unix", 0)  # http.server formats a (host, port) client address


def role_template(name: str) -> jinja2.Template:
    """The role's template, with Ansible's `bool` filter (the only one of Ansible's it uses)."""
    env = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["bool"] = lambda value: str(value).lower() in ("true", "yes", "on", "1")
    return env.from_string((ROLE / "templates" / name).read_text())


def render_site(upstream_port: int, listen_port: int, blobs: Path, zim_cache: Path, runtime_dir: Path,
                **extra: object) -> str:
    """The role's template with its defaults, listening on a free port; Socket.IO to the slot
    sockets of `classbox web` in `runtime_dir`."""
    values = dict(re.findall(r"^(classbox_nginx_\w+): ([^\s\"{\[]+)$", (ROLE / "defaults/main.yml").read_text(), re.M))
    assert {"classbox_nginx_blobs_internal", "classbox_nginx_blobs_max_age"} <= set(values)
    values.update(classbox_nginx_upstream_port=upstream_port, classbox_nginx_server_names=["ecole-test"],
                  classbox_nginx_blobs_dir=f"{blobs}/", classbox_nginx_zim_cache_dir=str(zim_cache),
                  classbox_nginx_runtime_dir=str(runtime_dir), ansible_managed="test", **extra)
    text = role_template("classbox.conf.j2").render(**values)
    assert "listen 80 default_server;" in text
    text = text.replace("listen 80 default_server;", f"listen 127.0.0.1:{listen_port} default_server;")
    return text.replace("listen [::]:80 default_server;", "")


def main_conf(tmp_path: Path, site: str, connections: int = 64) -> str:
    """A minimal nginx.conf around the role's site, every file nginx writes under tmp_path."""
    return f"""
user root;
daemon off;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections {connections}; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    {site}
}}
"""


@pytest.fixture
def site(tmp_path):
    nginx = require_apt("nginx")
    blobs = tmp_path / "blobs"
    (blobs / SHA[:2] / SHA[2:4]).mkdir(parents=True)
    (blobs / SHA[:2] / SHA[2:4] / SHA).write_bytes(BLOB)
    StandIn.zim_requests = []
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), StandIn)
    (tmp_path / "run").mkdir()
    slot = UnixHTTPServer(str(tmp_path / "run" / "web-0.sock"), StandIn)  # Socket.IO's one slot here
    for server in (upstream, slot):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(main_conf(tmp_path, render_site(upstream.server_address[1], port, blobs, tmp_path / "zim-cache",
                                                    tmp_path / "run", classbox_nginx_socketio_slots=1)))
    checked = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/", proc=proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for server in (upstream, slot):
            server.shutdown()
            server.server_close()


@pytest.mark.peer
def test_blob_is_sent_by_nginx_from_the_internal_location(site):
    response = httpx.get(f"{site}/blobs/{SHA}")
    assert response.status_code == 200 and response.content == BLOB
    assert response.headers.get_list("Cache-Control") == ["max-age=31536000", "public, immutable"]
    assert "x-accel-redirect" not in response.headers
    ranged = httpx.get(f"{site}/blobs/{SHA}", headers={"Range": "bytes=0-6"})
    assert ranged.status_code == 206 and ranged.content == BLOB[:7], ranged.headers


@pytest.mark.peer
def test_internal_blob_location_is_not_reachable_directly(site):
    assert httpx.get(f"{site}/_blobs/{SHA[:2]}/{SHA[2:4]}/{SHA}").status_code == 404


@pytest.mark.peer
def test_zim_pages_are_cached_by_nginx(site):
    first = httpx.get(f"{site}/zim/vikidia/A/Volcan")
    again = [httpx.get(f"{site}/zim/vikidia/A/Volcan") for _ in range(3)]
    other = httpx.get(f"{site}/zim/vikidia/A/Lune")
    assert first.status_code == 200 and first.headers["X-Cache"] == "MISS"
    assert [r.headers["X-Cache"] for r in again] == ["HIT"] * 3
    assert all(r.text == first.text == "<p>article /zim/vikidia/A/Volcan</p>" for r in again)
    assert other.text == "<p>article /zim/vikidia/A/Lune</p>"
    assert StandIn.zim_requests == ["/zim/vikidia/A/Volcan", "/zim/vikidia/A/Lune"]


@pytest.mark.peer
def test_socket_io_websocket_upgrade_goes_through(site):
    key = base64.b64encode(os.urandom(16)).decode()
    response = httpx.get(f"{site}/socket.io/?EIO=4&transport=websocket",
                         headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                  "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"})
    assert response.status_code == 101
    expected = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    assert response.headers["Sec-WebSocket-Accept"] == expected.decode()


@pytest.mark.peer
@pytest.mark.parametrize("path", ["/", "/static/classroom-pupil.js"])
def test_text_is_gzipped(site, path):
    response = httpx.get(f"{site}{path}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers.get("Content-Encoding") == "gzip"
    assert response.content == PAGE
