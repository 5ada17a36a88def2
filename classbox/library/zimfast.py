"""The hot path of /zim/: found entries answered straight from WSGI, before Flask.

A tablet reading an encyclopedia asks for many small immutable entries. Each one through
Flask pays the request context, the session cookie, routing and every hook; none of it matters
for a public, immutable ZIM entry. This middleware answers GET/HEAD of an existing entry from
the in-process entry cache (a byte-bounded LRU, filled from libzim on a miss) with exactly the
headers of the Flask view (`zimviews.entry_response`), ETag and 304 included. Everything else —
main page, redirects, unknown books or paths, odd URLs, errors — goes on to Flask unchanged.

Under gevent each answer first lets the other greenlets run: a keep-alive client sending its next
request as soon as it has an answer would otherwise be read and answered again and again without
the worker's loop ever switching (gevent's socket reads do not yield when data is waiting), and
the worker's other connections would wait for that client's whole burst.
"""

from __future__ import annotations

from typing import Callable, Iterable

from flask import Flask

from classbox.library.zimread import read_entry
from classbox.runtime.offload import gevent_active
from classbox.library.zimviews import entry_response, path_ok, state_for

PREFIX = "/zim/"
STATUS = {200: "200 OK", 304: "304 Not Modified"}


class ZimFastPath:
    """WSGI middleware in front of the app (and of Socket.IO's) for /zim/<book>/<path>."""

    def __init__(self, app: Flask, inner: Callable):
        self.app = app
        self.inner = inner
        self.take_turns = _turn_taker()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        raw = environ.get("PATH_INFO", "")
        if (method == "GET" or method == "HEAD") and raw.startswith(PREFIX):
            self.take_turns()
            try:
                answer = self._answer(raw, environ.get("HTTP_IF_NONE_MATCH"))
            except Exception:  # libzim trouble: let Flask answer (and log) it
                answer = None
            if answer is not None:
                status, headers, body = answer
                start_response(STATUS[status], headers)
                return [] if method == "HEAD" or not body else [body]
        return self.inner(environ, start_response)

    def _answer(self, raw: str, if_none_match: str | None) -> tuple[int, list, bytes] | None:
        """The response for an existing, non-redirect entry; None for anything Flask must handle."""
        book_name, sep, path = raw[len(PREFIX):].partition("/")
        if not sep or not path or "//" in path or path.startswith("/"):
            return None
        try:  # WSGI carries the path as latin-1 code points of its UTF-8 bytes
            path = path.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return None
        if not path_ok(path):
            return None
        zim = state_for(self.app)
        book = zim.books.get(book_name)
        if book is None:
            return None
        found = read_entry(book, path, zim.cache, zim.clusters)
        if found is None or found.redirect is not None:
            return None
        return entry_response(book, path, found, if_none_match)


def _turn_taker() -> Callable[[], None]:
    """gevent.sleep(0) in a gevent worker (the other greenlets run first), else nothing to do."""
    if gevent_active():
        import gevent

        return lambda: gevent.sleep(0)
    return lambda: None


def install(app: Flask) -> None:
    """Put the /zim/ fast path in front of the app's WSGI callable."""
    app.wsgi_app = ZimFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
