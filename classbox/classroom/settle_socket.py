"""A web worker commits the answers its journal holds when a command of the same box asks (`classbox privacy erase`).

The process holding an answer journal (storage/journal.py) listens on a Linux abstract unix socket
named after that journal's path (no file to leave behind; it goes with the process). A client of the
same user, or root (SO_PEERCRED), sends `settle`; the worker then commits each journaled answer before
its ack for EAGER_S (so none acked meanwhile waits in the journal while the caller erases), commits the
ones already acked or in flight (a barrier job queued behind them), and answers `ok`. This needs no Redis: it serves one worker as
well as several (each its own journal, its own socket).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import struct
import time
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger("classbox.classroom.settle")
EAGER_S = 120.0  # after a request: every answer committed before its ack, while the caller erases
REQUEST, OK = b"settle\n", b"ok\n"


def address(data_dir: Path, journal_name: str) -> str:
    """The abstract socket of the process holding this journal."""
    path = os.path.realpath(Path(data_dir) / journal_name)
    return "\0classbox-settle-" + hashlib.sha256(path.encode()).hexdigest()[:32]


def _owner(data_dir: Path, journal_name: str) -> int:
    """The uid of the web service: the journal's owner (the data dir's if it is gone)."""
    try:
        return os.stat(Path(data_dir) / journal_name).st_uid
    except OSError:
        return os.stat(data_dir).st_uid


def _peer_uid(conn: socket.socket) -> int:
    """The uid of the process at the other end of a unix socket (SO_PEERCRED)."""
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                          struct.calcsize("3i")))
    return uid


def ask(data_dir: Path, journal_name: str, timeout: float) -> bool:
    """Ask the process holding a journal to commit its answers; whether it confirmed within `timeout`.

    Only root or the web service's user counts: an abstract address has no permissions, any local user
    could hold it and answer `ok`."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(timeout)
            client.connect(address(data_dir, journal_name))
            peer = _peer_uid(client)
            if peer not in (0, _owner(data_dir, journal_name)):
                log.error("the settle address of %s is held by uid %d, not by the web service: not asked",
                          journal_name, peer)
                return False
            client.sendall(REQUEST)
            reply = b""
            while not reply.endswith(b"\n") and len(reply) < 16:
                chunk = client.recv(16)
                if not chunk:
                    break
                reply += chunk
            return reply == OK
    except OSError:  # nobody listens (an older version, a process without the socket), or too late
        return False


def _peer_trusted(conn: socket.socket) -> bool:
    """Whether the client runs as root or as this process's user."""
    return _peer_uid(conn) in (0, os.getuid())


def serve(writer: Any, data_dir: Path, spawn: Callable[..., Any], clock: Callable[[], float]) -> socket.socket | None:
    """Listen for settle requests to this writer's journal (a background task); None if the address is taken."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(address(data_dir, writer.journal_name))
        listener.listen(4)
    except OSError as err:  # taken (another process, maybe another user): never hold an acked answer
        listener.close()
        writer.lazy_while = lambda: False
        log.error("answer journal %s: no settle socket (%s): each answer is committed before its ack, "
                  "`classbox privacy erase` cannot ask this worker", writer.journal_name, err)
        return None
    eager_until = [0.0]
    lazy = writer.lazy_while
    writer.lazy_while = lambda: clock() >= eager_until[0] and lazy()

    def answer(conn: socket.socket) -> None:
        try:
            conn.settimeout(5.0)
            if not _peer_trusted(conn) or conn.recv(16) != REQUEST:
                return
            eager_until[0] = clock() + EAGER_S  # first: an answer acked from now on is committed before its ack
            # a barrier, even with nothing pending: it queues behind a batch in flight (decided lazy, its journal
            # record being written) and commits every pending row, that one's too, before the ok
            writer.run(lambda db: None)
            conn.sendall(OK)
            log.warning("answers of %s committed on request (privacy erase); each answer is committed before "
                        "its ack for %.0f s", writer.journal_name, EAGER_S)
        except Exception:
            log.exception("settle request on %s failed", writer.journal_name)
        finally:
            conn.close()

    def accept_forever() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                if listener.fileno() == -1:  # closed at exit
                    return
                log.exception("settle socket of %s: accept failed (still listening)", writer.journal_name)
                time.sleep(0.5)  # out of fds (EMFILE), an aborted connection: not the end of the listener
                continue
            spawn(answer, conn)

    spawn(accept_forever)
    return listener
