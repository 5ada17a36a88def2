"""Behind nginx: the client's address is the one the local proxy forwards, trusted from it alone."""

from __future__ import annotations

import ipaddress
from typing import Callable, Iterable

from werkzeug.middleware.proxy_fix import ProxyFix


def _loopback(address: str) -> bool:
    """127.0.0.0/8, ::1, or a unix socket's peer (no address: a local process, nginx on the slots)."""
    if address == "":
        return True
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


class LocalProxyFix:
    """werkzeug's ProxyFix (one proxy: X-Forwarded-For and -Proto, which nginx sets) for requests from
    127.0.0.0/8, ::1 or the slot sockets (runtime/sticky.py).

    A device that reaches the app directly (the app listening on 0.0.0.0) keeps its own address,
    whatever X-Forwarded-For it sends. Socket.IO reads the same environ, so its connect and events
    see the forwarded address too.
    """

    def __init__(self, app: Callable):
        self.direct = app
        self.fixed = ProxyFix(app, x_for=1, x_proto=1)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if _loopback(environ.get("REMOTE_ADDR", "")):
            return self.fixed(environ, start_response)
        return self.direct(environ, start_response)


def install(app) -> None:
    """Wrap the app's WSGI callable (outermost, after Socket.IO and the fast paths)."""
    app.wsgi_app = LocalProxyFix(app.wsgi_app)
