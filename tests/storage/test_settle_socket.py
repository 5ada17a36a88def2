"""A writer's journal committed on request over its local socket (classroom/settle_socket.py), as `privacy erase` asks."""

from __future__ import annotations

import errno
import socket
import subprocess
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


def test_an_answer_whose_batch_is_in_flight_when_settle_comes_is_committed_before_the_ok(data_dir, monkeypatch):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)  # nothing pending yet
    listener = settle_socket.serve(writer, data_dir, spawn, time.monotonic)
    appending, release = threading.Event(), threading.Event()
    append = writer._append

    def paused_append(record):  # the batch's journal record: held between its decision and its ack
        appending.set()
        assert release.wait(30)
        append(record)

    monkeypatch.setattr(writer, "_append", paused_append)
    try:
        spawn(writer.run, _answer("in-flight"), True)
        assert appending.wait(30)
        confirmed = []
        asking = threading.Thread(target=lambda: confirmed.append(
            settle_socket.ask(data_dir, writer.journal_name, timeout=30)))
        asking.start()
        deadline = time.monotonic() + 30
        while not confirmed and writer._queue.qsize() == 0:  # replied, or queued its barrier behind the batch
            assert time.monotonic() < deadline
            time.sleep(0.01)
        release.set()
        asking.join(30)
        assert confirmed == [True]
        assert "in-flight" in _keys(data_dir)  # the erase that follows the ok finds it
    finally:
        release.set()
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        writer.close()


SQUATTER = """
import socket, sys
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(b"\\0" + sys.argv[1].encode())
server.listen(4)
print("ready", flush=True)
while True:
    conn, _ = server.accept()
    conn.recv(16)
    conn.sendall(b"ok\\n")
    conn.close()
"""


@pytest.fixture
def squatter(data_dir):
    """Another local user (nobody) holding the settle address of the box's journal, answering `ok` to anyone."""
    name = settle_socket.address(data_dir, "classroom.journal")[1:]
    proc = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                             "-c", SQUATTER, name], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "ready\n"
        yield proc
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_an_ok_from_another_user_holding_the_address_is_no_confirmation(squatter, data_dir):
    assert not settle_socket.ask(data_dir, "classroom.journal", timeout=10)


def test_a_worker_whose_address_is_taken_commits_each_answer_before_its_ack(squatter, data_dir):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    try:
        assert writer.journal_name == "classroom.journal"
        assert settle_socket.serve(writer, data_dir, spawn, time.monotonic) is None
        writer.run(_answer("acked-1"), journaled=True)
        assert "acked-1" in _keys(data_dir)  # no socket to be asked through: never held in the journal
    finally:
        writer.close()


def test_the_worker_keeps_listening_after_an_accept_error(data_dir, monkeypatch):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_answer("acked-1"), journaled=True)
    accept, failed = socket.socket.accept, []

    def accept_once_out_of_fds(self):  # the worker near its fd limit once (EMFILE)
        if not failed:
            failed.append(True)
            raise OSError(errno.EMFILE, "Too many open files")
        return accept(self)

    monkeypatch.setattr(socket.socket, "accept", accept_once_out_of_fds)
    listener = settle_socket.serve(writer, data_dir, spawn, time.monotonic)
    try:
        assert settle_socket.ask(data_dir, writer.journal_name, timeout=10)
        assert failed and "acked-1" in _keys(data_dir)
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        writer.close()


ASKER = """
import socket, sys
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
    client.settimeout(10)
    client.connect(b"\\0" + sys.argv[1].encode())
    try:  # the worker closes at once a connection it does not trust
        client.sendall(b"settle\\n")
        print(repr(client.recv(16)))
    except (BrokenPipeError, ConnectionResetError):
        print(repr(b""))
"""


def test_a_settle_request_from_another_user_is_refused(served, data_dir):
    name = settle_socket.address(data_dir, served.journal_name)[1:]
    asked = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                            "-c", ASKER, name], capture_output=True, text=True, timeout=30)
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip() == "b''"  # no ok
    served.run(_answer("acked-2"), journaled=True)
    assert not {"acked-1", "acked-2"} & _keys(data_dir)  # nothing committed, no eager window opened
