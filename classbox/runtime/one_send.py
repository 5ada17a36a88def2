"""A small response leaves a gunicorn worker in one send: its headers joined to its first body bytes.

gunicorn writes a response's headers with one `sendall` and its body with another: two TCP
segments, so the client is woken twice, once for a header it cannot use yet. On loopback or a
busy Pi the sender pays for both deliveries, and the client woken by the first one often takes
the core from the worker before it sends the body, while the worker's other connections wait.
Measured with py-spy on a 2-worker run of benchmarks/library_zim.py: 46 % of a worker's samples
were in that first `send`. kiwix-serve and nginx send a small page's headers and body together.
"""

from __future__ import annotations

from typing import Any, Callable

JOIN_MAX = 64 * 1024  # larger first writes keep their own send: joining would copy them for little gain


class _Held:
    """Stands in for the client socket while a response's first write is framed: keeps what is sent."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.parts.append(data)


def joined_write(original: Callable[[Any, bytes], None]) -> Callable[[Any, bytes], None]:
    """gunicorn's Response.write, sending the headers and a small first body write as one buffer."""

    def write(self, arg: bytes) -> None:
        if self.headers_sent or not isinstance(arg, bytes) or len(arg) > JOIN_MAX:
            return original(self, arg)
        sock, held = self.sock, _Held()
        self.sock = held  # gunicorn frames the headers and the body (chunked or not) into held.parts
        try:
            original(self, arg)
        finally:
            self.sock = sock
        sock.sendall(b"".join(held.parts))

    write.joins_headers = True  # type: ignore[attr-defined]
    return write


def install() -> None:
    """Send small responses in one piece in this worker (idempotent)."""
    from gunicorn.http.wsgi import Response

    if not getattr(Response.write, "joins_headers", False):
        Response.write = joined_write(Response.write)  # type: ignore[method-assign]
