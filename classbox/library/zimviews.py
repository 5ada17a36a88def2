"""ZIM books over HTTP: /zim/<book>/<path>, and bounded title suggestions and full-text search."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, request, url_for

from werkzeug.http import parse_etags
from werkzeug.utils import get_content_type

from classbox.library.zim import Book, BookRegistry
from classbox.library.zimblobs import ClusterCache
from classbox.web.query import int_arg
from classbox.library.zimread import (BoundedRunner, Entry, EntryCache, SearchBusy, fulltext, main_path,
                                      read_entry, suggest)

bp = Blueprint("zim", __name__)
EXTENSION_KEY = "classbox_zim"
ZIM_CACHE = "public, max-age=86400"
ZIM_CSP = ("sandbox allow-scripts allow-popups allow-forms; default-src 'self' 'unsafe-inline' data: blob:; "
           "connect-src 'self'; frame-ancestors 'self'; base-uri 'self'")
MAX_PATH = 2000


class ZimState:
    """Per-app ZIM objects: the book registry, the entry and cluster caches, the bounded search runner."""

    def __init__(self, app):
        self.books = BookRegistry(app.config["CLASSBOX"].data_dir)
        self.cache = EntryCache()
        self.clusters = ClusterCache(on_evict=self.cache.keep_bytes)
        self.runner = BoundedRunner()


def state_for(app) -> ZimState:
    """An app's ZIM state (created on first use)."""
    ext = app.extensions
    if EXTENSION_KEY not in ext:
        ext[EXTENSION_KEY] = ZimState(app)
    return ext[EXTENSION_KEY]


def state() -> ZimState:
    """The current app's ZIM state."""
    return state_for(current_app)


def _book(name: str):
    book = state().books.get(name)
    if book is None:
        abort(404)
    return book


def path_ok(path: str) -> bool:
    """ZIM paths are keys, not files; still refuse traversal-looking and oversized paths."""
    return not (len(path) > MAX_PATH or "\x00" in path or "\\" in path or any(p == ".." for p in path.split("/")))


def entry_response(book: Book, path: str, found: Entry, if_none_match: str | None) -> tuple[int, list, bytes]:
    """Status, headers and body of a found (non-redirect) entry: 200, or 304 for a matching ETag."""
    etag = hashlib.sha1(f"{book.uuid}/{path}".encode()).hexdigest()
    # every entry, whatever the type its ZIM claims (SVG, XHTML, XML, TEXT/HTML...): an opaque origin
    headers = [("ETag", f'"{etag}"'), ("Cache-Control", ZIM_CACHE), ("X-Content-Type-Options", "nosniff"),
               ("Content-Security-Policy", ZIM_CSP)]
    if if_none_match and parse_etags(if_none_match).contains(etag):
        return 304, headers, b""
    content_type = get_content_type(found.mimetype or "application/octet-stream", "utf-8")
    return 200, [("Content-Type", content_type), ("Content-Length", str(len(found.content))), *headers], found.content


@bp.route("/zim/<book>/", defaults={"path": ""})
@bp.route("/zim/<book>/<path:path>")
def entry(book: str, path: str):
    """An entry of a book with its mime type (redirects followed by HTTP redirect).

    Found entries are usually answered before Flask by classbox.library.zimfast (same bytes).
    """
    zbook = _book(book)
    if not path:
        main = main_path(zbook)
        if main is None:
            abort(404)
        return redirect(url_for("zim.entry", book=book, path=main))
    if not path_ok(path):
        abort(404)
    try:
        found = read_entry(zbook, path, state().cache, state().clusters)
    except RuntimeError as err:  # libzim: a damaged cluster (the file changed on disk since its import)
        current_app.logger.warning("ZIM %s: entry %r unreadable: %s", book, path, str(err))  # no traceback kept
        abort(500)
    if found is None:
        abort(404)
    if found.redirect is not None:
        return redirect(url_for("zim.entry", book=book, path=found.redirect))
    status, headers, body = entry_response(zbook, path, found, request.headers.get("If-None-Match"))
    return Response(body, status, headers)


def _limit() -> int:
    cap = current_app.config["CLASSBOX"]["library"]["search_limit"]
    return int_arg("limit", cap, 1, cap)


def run_search(book_name: str, q: str, limit: int, kind: str = "fulltext") -> dict:
    """A bounded search in a book: results, or {"error": "busy"} when over budget."""
    zbook = _book(book_name)
    timeout = current_app.config["CLASSBOX"]["library"]["zim_search_timeout_ms"] / 1000
    try:
        if kind == "suggest":
            return {"results": state().runner.run(lambda: suggest(zbook, q, limit), timeout)}
        return state().runner.run(lambda: fulltext(zbook, q, limit), timeout)
    except SearchBusy as err:
        return {"error": "busy", "message": str(err), "results": []}


def _api(kind: str, book: str):
    q = request.args.get("q", "").strip()[:200]
    if not q:
        return jsonify({"results": []})
    body = run_search(book, q, _limit(), kind)
    if "error" in body:
        return jsonify(body), 503, {"Retry-After": "2"}
    for item in body["results"]:
        item["url"] = url_for("zim.entry", book=book, path=item["path"])
    return jsonify(body)


@bp.route("/api/zim/<book>/search")
def api_search(book: str):
    """Full-text search in a book (limit capped by [library] search_limit, time-bounded)."""
    return _api("fulltext", book)


@bp.route("/api/zim/<book>/suggest")
def api_suggest(book: str):
    """Title suggestions in a book (time-bounded)."""
    return _api("suggest", book)


def book_context(book: str, q: str) -> dict:
    """What the resource page of a book shows: its main page link and search results."""
    context = {"book": book, "q": q, "zim_results": None, "zim_busy": False,
               "main_url": url_for("zim.entry", book=book, path="")}
    if q.strip():
        body = run_search(book, q.strip(), current_app.config["CLASSBOX"]["library"]["search_limit"])
        context["zim_busy"] = "error" in body
        for item in body["results"]:
            item["url"] = url_for("zim.entry", book=book, path=item["path"])
        context["zim_results"] = body["results"]
    return context
