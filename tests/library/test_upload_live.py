"""A 300 MB pack through the real server (gunicorn, gevent): on disk as it arrives, never in memory."""

from __future__ import annotations

import select
import socket
from http.client import HTTPResponse
from pathlib import Path
from typing import Callable, Iterator

import httpx
import psutil
import pytest

from classbox.auth.users import add_user
from classbox.web.datadir import prepare_data_dir
from tests.helpers import LiveServer, make_config, wait_until
from tests.library.test_upload import MB, big_pack

pytestmark = pytest.mark.slow
ADMIN = ("tech", "admin-pass-123")


def uploads_on_disk(data_dir: Path) -> list[Path]:
    """Upload files being received in the data dir's staging folders."""
    return sorted((data_dir / "tmp").glob("import-*/upload*"))


def leftovers(data_dir: Path) -> list[str]:
    tmp = data_dir / "tmp"
    return sorted(p.name for p in tmp.iterdir() if p.name != "library-import.lock") if tmp.is_dir() else []


def peak_rss(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.fixture
def clients():
    """Close the HTTP clients a test opened."""
    opened: list[httpx.Client] = []
    yield opened
    for http in opened:
        http.close()


@pytest.fixture
def server(tmp_path):
    data = tmp_path / "data"
    db = prepare_data_dir(make_config(data))
    add_user(db, *ADMIN[:1], "admin", ADMIN[1])
    db.conn.close()
    with LiveServer(data, command="web", extra_env={"CLASSBOX_LIBRARY_MIN_FREE_MB": "50"}) as live:
        yield live


def signed_in(url: str, clients: list) -> tuple[httpx.Client, str]:
    """An admin's HTTP client and the CSRF token the admin page gives its script."""
    http = httpx.Client(base_url=url, timeout=120)
    clients.append(http)
    form = http.get("/login").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    assert http.post("/login", data={"login": ADMIN[0], "password": ADMIN[1], "csrf_token": token}).status_code == 302
    page = http.get("/admin").text
    return http, page.split('data-csrf="')[1].split('"')[0]


def chunks(path: Path, on_sent: Callable[[int], None]) -> Iterator[bytes]:
    sent = 0
    with open(path, "rb") as handle:
        while block := handle.read(MB):
            yield block
            sent += len(block)
            on_sent(sent)


def test_a_300_mb_pack_is_written_to_the_data_dir_as_it_arrives(server, clients, tmp_path):
    pack = big_pack(tmp_path / "films.zip", 300 * MB)
    size = pack.stat().st_size
    worker = psutil.Process(server.proc.pid).children()[0].pid
    http, token = signed_in(server.url, clients)
    before = peak_rss(worker)
    seen_partial = []

    def halfway(sent: int) -> None:  # half sent: the server holds it in a file of the data dir
        if sent == 150 * MB:
            seen_partial.append(wait_until(lambda: [p.stat().st_size for p in uploads_on_disk(server.data_dir)
                                                    if p.stat().st_size >= 100 * MB], 60, 0.02, "the upload on disk"))

    response = http.post("/admin/library/upload", params={"name": "films.zip"}, content=chunks(pack, halfway),
                         headers={"X-CSRFToken": token, "Content-Type": "application/octet-stream",
                                  "Content-Length": str(size), "Accept": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True
    assert seen_partial and seen_partial[0][0] < size, "the body reached the disk before its end"
    grown = peak_rss(worker) - before
    assert grown < 100 * MB, f"the worker's peak RSS grew by {grown / MB:.0f} MB for a 300 MB upload"
    items = http.get("/api/library").json()["items"]
    assert [item["title"] for item in items] == ["Film"]
    assert leftovers(server.data_dir) == []


def test_an_upload_cut_in_the_middle_leaves_no_temp_file(server, clients):
    http, token = signed_in(server.url, clients)
    cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall((f"POST /admin/library/upload?name=films.zip HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Cookie: {cookie}\r\nX-CSRFToken: {token}\r\nContent-Type: application/octet-stream\r\n"
                      f"Content-Length: {300 * MB}\r\n\r\n").encode())
        for _ in range(20):
            sock.sendall(bytes(MB))
        wait_until(lambda: [p for p in uploads_on_disk(server.data_dir) if p.stat().st_size > 0], 60, 0.02,
                   "the upload on disk")
    wait_until(lambda: leftovers(server.data_dir) == [], 60, 0.02, "the partial upload removed")
    assert http.get("/healthz").status_code == 200
    assert http.get("/api/library").json()["items"] == []


def chunked_upload(url: str, http: httpx.Client, token: str, most_mb: int) -> tuple[int, str]:
    """POST up to `most_mb` MB of zeros without a Content-Length (chunked), stopping once the box has
    answered, as a browser does when a server refuses an upload before its end: (status, body)."""
    cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=120) as sock:
        sock.sendall((f"POST /admin/library/upload?name=films.zip HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Cookie: {cookie}\r\nX-CSRFToken: {token}\r\nContent-Type: application/octet-stream\r\n"
                      "Accept: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode())
        try:
            for _ in range(most_mb):
                if select.select([sock], [], [], 0)[0]:
                    break  # answered before the end of the body
                sock.sendall(b"%x\r\n%s\r\n" % (MB, bytes(MB)))
            else:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the box closed the connection after its answer
        response = HTTPResponse(sock)
        response.begin()
        return response.status, response.read().decode()


def test_an_upload_without_length_stops_at_max_pack_mb_and_at_min_free_mb(clients, tmp_path):
    data = tmp_path / "data"
    db = prepare_data_dir(make_config(data))
    add_user(db, *ADMIN[:1], "admin", ADMIN[1])
    db.conn.close()
    free_mb = psutil.disk_usage(str(tmp_path)).free // MB
    for env, status in (({"CLASSBOX_LIBRARY_MAX_PACK_MB": "5"}, 413),
                        ({"CLASSBOX_LIBRARY_MIN_FREE_MB": str(free_mb - 50)}, 507)):
        with LiveServer(data, command="web", extra_env=env) as live:
            http, token = signed_in(live.url, clients)
            # chunked: no Content-Length to check beforehand; up to 400 MB: past min_free_mb even if
            # other programs free a few hundred MB of the disk meanwhile
            answered, text = chunked_upload(live.url, http, token, 400)
            assert answered == status, text
            assert leftovers(data) == []
            http.close()  # no idle keep-alive for gunicorn's graceful stop to wait on
