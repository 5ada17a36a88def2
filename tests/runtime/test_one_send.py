"""A small response leaves the web worker in one send (one TCP segment), byte for byte what gunicorn wrote."""

from __future__ import annotations

import socket
import struct

import pytest
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.http.parser import RequestParser

from classbox.library import import_path
from classbox.runtime.one_send import JOIN_MAX, joined_write
from tests.helpers import LiveServer, make_config
from tests.library.conftest import make_zim


class Recorder:
    """A client socket that records each sendall."""

    def __init__(self):
        self.sends: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.sends.append(bytes(data))


class JoinedResponse(wsgi.Response):
    write = joined_write(wsgi.Response.write)


def respond(response_class, request: bytes, status: str, headers: list, chunks: list[bytes]) -> list[bytes]:
    """What gunicorn sends for one response, one item per sendall."""
    cfg = Config()
    req = next(iter(RequestParser(cfg, [request], ("127.0.0.1", 40000))))
    sock = Recorder()
    resp, _environ = wsgi.create(req, sock, ("127.0.0.1", 40000), ("127.0.0.1", 8000), cfg, response_class)
    resp.start_response(status, headers)
    for chunk in chunks:
        resp.write(chunk)
    resp.close()
    return sock.sends


def without_date(sent: list[bytes]) -> bytes:
    return b"".join(line for line in b"".join(sent).splitlines(keepends=True) if not line.startswith(b"Date:"))


PAGE = "<p>L'éléphant vit dans la forêt.</p>".encode() * 200
CASES = {
    "sized page": (b"GET /zim/a/b HTTP/1.1\r\nHost: x\r\n\r\n", [("Content-Length", str(len(PAGE)))], [PAGE]),
    "chunked, two writes": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", [], [b"<html>", b"</html>"]),
    "HEAD": (b"HEAD /zim/a/b HTTP/1.1\r\nHost: x\r\n\r\n", [("Content-Length", str(len(PAGE)))], [PAGE]),
    "HTTP/1.0 close": (b"GET / HTTP/1.0\r\n\r\n", [], [PAGE]),
    "large body": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", [("Content-Length", str(JOIN_MAX + 1))],
                   [b"x" * (JOIN_MAX + 1)]),
}


@pytest.mark.parametrize("case", CASES)
def test_the_client_receives_the_same_bytes_as_from_gunicorn_alone(case):
    request, headers, chunks = CASES[case]
    plain = respond(wsgi.Response, request, "200 OK", [("Content-Type", "text/html")] + headers, chunks)
    joined = respond(JoinedResponse, request, "200 OK", [("Content-Type", "text/html")] + headers, chunks)
    assert without_date(joined) == without_date(plain)


def test_a_small_page_is_one_send_headers_and_body_together():
    request, headers, chunks = CASES["sized page"]
    assert len(respond(wsgi.Response, request, "200 OK", headers, chunks)) == 2  # gunicorn alone
    [sent] = respond(JoinedResponse, request, "200 OK", headers, chunks)
    assert sent.startswith(b"HTTP/1.1 200 OK\r\n") and sent.endswith(b"\r\n\r\n" + PAGE)


def data_segments_in(sock: socket.socket) -> int:
    """struct tcp_info's tcpi_data_segs_in: segments with data this socket has received."""
    return struct.unpack_from("I", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256), 152)[0]


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[1])
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_a_tablet_gets_each_small_page_of_the_web_worker_in_one_tcp_segment(tmp_path):
    config = make_config(tmp_path / "data", **{"library.min_free_mb": 1})
    assert import_path(config, make_zim(tmp_path / "book.zim")).status == "added"
    with LiveServer(tmp_path / "data", command="web") as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            for path in ("/zim/vikidia_fr_test/Animal_3", "/zim/vikidia_fr_test/style/main.css", "/login"):
                before = data_segments_in(sock)
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: classbox\r\n\r\n".encode())
                answer = read_response(sock)
                assert answer.startswith(b"HTTP/1.1 200 OK"), answer[:200]
                assert data_segments_in(sock) - before == 1, path
