"""Blob bodies under the gevent worker: the kernel sends the file, other greenlets keep running."""

from __future__ import annotations

import os

import gevent
import pytest
from gevent import socket as gsocket

from classbox.runtime.gevent_sendfile import cooperative_sendfile

DATA = os.urandom(3 * 1024 * 1024 + 17)


@pytest.fixture(autouse=True)
def own_hub():
    """The gevent hub these tests run on is destroyed after each (its epoll and eventfd closed)."""
    yield
    gevent.get_hub().destroy(destroy_loop=True)


def _receive(sock, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(1 << 20, n - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _send(tmp_path, offset: int, count: int | None) -> tuple[bytes, int, int]:
    path = tmp_path / "blob"
    path.write_bytes(DATA)
    left, right = gsocket.socketpair()
    left.settimeout(10)
    expected = len(DATA) - offset if count is None else count
    with open(path, "rb") as handle, left, right:
        reader = gevent.spawn(_receive, right, expected)
        sent = cooperative_sendfile(left, handle, offset, count)
        received = reader.get(timeout=10)
        position = handle.tell()
    return received, sent, position


def test_the_whole_file_is_sent_while_the_reader_greenlet_runs(tmp_path):
    # 3 MB cannot fit in a socketpair's buffer: the send completes only if it yields to the reader.
    received, sent, position = _send(tmp_path, 0, None)
    assert received == DATA and sent == len(DATA) and position == len(DATA)


def test_a_range_sends_exactly_its_bytes_and_leaves_the_position_after_them(tmp_path):
    received, sent, position = _send(tmp_path, 1000, 2_000_001)
    assert received == DATA[1000:1000 + 2_000_001] and sent == 2_000_001 and position == 1000 + 2_000_001
