"""A writer's journal committed on request over its local socket (classroom/settle_socket.py), as `privacy erase` asks."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from classbox.classroom import settle_socket
from classbox.storage.writer import GroupWriter
from tests.storage.test_journal import _answer, _keys, data_dir  # noqa: F401 (data_dir: a fixture)


def spawn(fn, *args) -> None:
    threading.Thread(target=fn, args=args, daemon=True).start()


@pytest.fixture
def served(data_dir):
    """A writer holding a journaled answer not yet committed, listening for settle requests."""
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_answer("acked-1"), journaled=True)
    listener = settle_socket.serve(writer, data_dir, spawn, time.monotonic)
    assert listener is not None
    yield writer
    listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread up
    listener.close()
    writer.close()


def test_a_settle_request_commits_the_acked_answers_and_the_next_ones_before_their_ack(served, data_dir):
    assert "acked-1" not in _keys(data_dir)
    assert settle_socket.ask(data_dir, served.journal_name, timeout=10)
    assert "acked-1" in _keys(data_dir)
    served.run(_answer("acked-2"), journaled=True)  # during the erase that follows: committed at once
    assert "acked-2" in _keys(data_dir)


def test_anything_but_a_settle_request_is_dropped(served, data_dir):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(10)
        client.connect(settle_socket.address(data_dir, served.journal_name))
        client.sendall(b"erase everything\n")
        try:
            reply = client.recv(16)
        except ConnectionResetError:  # closed with the request unread
            reply = b""
        assert reply == b""  # no answer
    assert "acked-1" not in _keys(data_dir)
    served.run(_answer("acked-2"), journaled=True)
    assert "acked-2" not in _keys(data_dir)  # still journaled: nothing changed


def test_nobody_listening_is_no_confirmation(data_dir):
    assert not settle_socket.ask(data_dir, "classroom.journal", timeout=1)
