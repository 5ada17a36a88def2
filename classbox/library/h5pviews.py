"""Playing H5P: the player page (sandboxed: an opaque origin on the box's site, or an origin of its
own on the player's site, h5porigin.py), the content and library files (versioned, immutable URLs)
and the vendored h5p-standalone player."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, send_from_directory, url_for

from classbox.library import catalogue, h5pfiles, h5porigin
from classbox.library.h5pimport import H5P_MIME
from classbox.library.h5pstrings import core_strings
from classbox.library.serving import IMMUTABLE, send_blob
from classbox.library.views import store
from classbox.storage import get_db

bp = Blueprint("h5p", __name__)
bp.before_app_request(h5porigin.only_player_on_its_site)
PACK_RE = re.compile(r"^h5p-[0-9a-f]{16}$")
PLAYER_DIR = "vendor/h5p-standalone"  # under the app's static folder
FRAME_SCRIPT = "h5p/frame.js"


def player_policy(origin: str, parent: str | None = None) -> str:
    """The player page's policy: sandboxed (an opaque origin, or with `parent` the player site's own
    origin, framed by that page only), and no request anywhere but the H5P files (not the box's
    pages, not its API, not the Internet)."""
    files = f"{origin}/h5p/"
    sandbox = "allow-scripts allow-same-origin" if parent else "allow-scripts"
    ancestors = parent or "'self'"
    return (f"sandbox {sandbox}; default-src 'none'; script-src {files} 'unsafe-inline' 'unsafe-eval'; "
            f"style-src {files} 'unsafe-inline'; img-src {files} data: blob:; media-src {files} data: blob:; "
            f"font-src {files} data:; connect-src {files}; frame-src {files}; child-src {files}; "
            f"form-action 'none'; base-uri 'none'; frame-ancestors {ancestors}")


@functools.lru_cache(maxsize=4)
def player_version(static_dir: str) -> str:
    """The version in the player's URLs: h5p-standalone's own, and a hash of classbox's frame script."""
    static = Path(static_dir)
    version = (static / PLAYER_DIR / "VERSION").read_text(encoding="utf-8").strip()
    digest = hashlib.sha256((static / FRAME_SCRIPT).read_bytes()).hexdigest()[:8]
    return f"{version}-{digest}"


def _shared(response: Response) -> Response:
    """Files the sandboxed player fetches: readable from its opaque origin (they are public)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _send(found: tuple[str, int] | None, path: str, cache: bool = True) -> Response:
    if found is None:
        abort(404)
    st = store()
    file = st.find(found[0])
    if file is None:
        abort(404)
    response = send_blob(file, found[0], h5pfiles.mime_type(path), path.rsplit("/", 1)[-1], accel_root=st.root)
    if not cache:
        response.headers["Cache-Control"] = "no-cache"
    return _shared(response)


def h5p_resource(resource_id: str) -> dict:
    """The catalogue row of an H5P resource, or 404."""
    row = catalogue.get_resource(get_db(), resource_id)
    if row is None or row["kind"] != "h5p" or row["mime"] != H5P_MIME:
        abort(404)
    return row


def player_url(resource_id: str) -> str:
    """Where the player of a resource is (what pages put in their sandboxed iframe)."""
    return url_for("h5p.play", resource_id=resource_id)


@bp.route("/h5p/play/<resource_id>")
def play(resource_id: str):
    """The player page of one H5P resource, meant for a sandboxed iframe (sandboxed by itself too)."""
    row = h5p_resource(resource_id)
    where = h5porigin.placement(request.path)
    if where.redirect:
        response = redirect(where.redirect, 302)
        response.headers["Cache-Control"] = "no-store"
        return response
    db = get_db()
    info = h5pfiles.content_info(db, row["pack"])
    found = h5pfiles.content_file(db, row["pack"], "content/content.json")
    if info is None or found is None or (path := store().find(found[0])) is None:
        abort(404)
    try:
        hosts = h5pfiles.internet_hosts(json.loads(path.read_bytes()))
    except ValueError:
        hosts = []
    version = player_version(str(current_app.static_folder))
    assets = url_for("h5p.player_file", version=version, path="")
    content = url_for("h5p.content_file", pack=row["pack"], path="h5p.json").rsplit("/", 1)[0]
    origin = request.host_url.rstrip("/")
    options = {"internet": hosts, "parent": where.parent or origin, "player": {
        "id": row["pack"], "h5pJsonPath": content, "contentJsonPath": content + "/content",
        "librariesPath": url_for("h5p.library_root",
                                 token=h5pfiles.libraries_token(db, info["dependencies"])).rstrip("/"),
        "frameJs": assets + "frame.bundle.js", "frameCss": assets + "styles/h5p.css",
        # "div": the exercise runs in this page, itself the frame (an iframe in an opaque origin could
        # not reach its own about:blank child)
        "embedType": "div", "frame": False, "copyright": False, "export": False, "embed": False, "icon": False,
        "fullScreen": False,
        "xAPIObjectIRI": (where.parent or origin) + url_for("library.resource", resource_id=resource_id),
        "translations": core_strings()}}
    response = Response(render_template("library/h5p_player.html", title=row["title"], options=options,
                                        assets=assets))
    response.headers["Content-Security-Policy"] = player_policy(origin, where.parent)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/h5p/content/<pack>/<path:path>", methods=["GET", "HEAD"])
def content_file(pack: str, path: str):
    """A content's file (h5p.json, content/content.json, its pictures...): immutable, since the
    content's id is the hash of its h5p.json and content.json."""
    if not PACK_RE.match(pack):
        abort(404)
    return _send(h5pfiles.content_file(get_db(), pack, path), path)


@bp.route("/h5p/libs/<token>/", defaults={"key": "", "path": ""})
def library_root(token: str, key: str, path: str):
    """Only the base of the libraries' URLs (the player appends `Name-1.0/file`)."""
    abort(404)


@bp.route("/h5p/libs/<token>/<key>/<path:path>", methods=["GET", "HEAD"])
def library_file(token: str, key: str, path: str):
    """A library's file under the version of the libraries of some content: immutable while that
    version is current; an old version's URL is no longer served (a newer patch replaced it)."""
    db = get_db()
    if not h5pfiles.token_serves(db, token, key):
        abort(404)
    return _send(h5pfiles.library_file(db, key, path), path)


@bp.route("/h5p/player/<version>/<path:path>", methods=["GET", "HEAD"])
def player_file(version: str, path: str):
    """The vendored h5p-standalone player and classbox's frame script, cached for good."""
    static = str(current_app.static_folder)
    if version != player_version(static):
        abort(404)
    if path == "classbox-frame.js":
        response = send_from_directory(static, FRAME_SCRIPT, mimetype="text/javascript")
    else:
        response = send_from_directory(Path(static) / PLAYER_DIR, path)
        if path.endswith(".js"):
            response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _shared(response)
