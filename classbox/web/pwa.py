"""/manifest.webmanifest and /sw.js (root scope), built from the static files they describe."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _

from classbox import features
from classbox.version import __version__
from classbox.web.i18n import current_language

bp = Blueprint("pwa", __name__)

# Pages a pupil may reload without Wi-Fi (served network-first, cached copy when offline).
PUPIL_PAGES = [r"^/$", r"^/join(/|$)", r"^/library(/|$)", r"^/pupil(/|$)", r"^/classroom(/|$)"]
# Pupil shell: precached at install. Every file under static/pupil/ and static/vendor/ is added.
SHELL_FILES = ["classbox.css", "toolkit.js", "pwa/register.js", "pwa/icon.svg", "pwa/icon-192.png",
               "classroom-pupil.js", "classroom-submit.js", "library.js"]  # when present
SHELL_DIRS = ["pupil", "vendor"]
SHELL_SKIP = ("vendor/h5p-standalone/",)  # the H5P player (1.4 MB with its fonts): fetched when an exercise opens
THEME = "#0b5cad"


def shell_static_files(static: Path) -> list[str]:
    """Static paths (relative to static/) of the pupil shell, sorted."""
    found = {name for name in SHELL_FILES if (static / name).is_file()}
    for folder in SHELL_DIRS:
        base = static / folder
        if base.is_dir():
            found.update(p.relative_to(static).as_posix() for p in base.rglob("*")
                         if p.is_file() and not p.name.startswith(".") and p.suffix != ".md"
                         and not p.relative_to(static).as_posix().startswith(SHELL_SKIP))
    return sorted(found)


@functools.lru_cache(maxsize=4)
def _worker_source(static_dir: str) -> tuple[str, str]:
    """(service worker source, cache version) for this build of the static files."""
    static = Path(static_dir)
    files = shell_static_files(static)
    digest = hashlib.sha256(__version__.encode())
    body = (Path(__file__).parent / "sw.js").read_text(encoding="utf-8")
    digest.update(body.encode())
    for name in files:
        digest.update(name.encode() + b"\0" + (static / name).read_bytes())
    extra = [url for offline_urls in features.hooks("offline_urls") for url in offline_urls()]
    digest.update("\0".join(extra).encode())  # hashed URLs: a changed file changes the version
    version = digest.hexdigest()[:16]
    settings = {"version": version, "shell": ["/", "/manifest.webmanifest"] + [f"/static/{n}" for n in files] + extra,
                "pupilPages": PUPIL_PAGES}
    header = f"self.CLASSBOX_SW = {json.dumps(settings, separators=(',', ':'))};\n"
    return header + body, version


@bp.route("/sw.js")
def service_worker() -> Response:
    """The service worker, at the root so its scope covers every pupil page."""
    source, version = _worker_source(str(Path(current_app.static_folder)))
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["ETag"] = f'"{version}"'
    return response.make_conditional(request)


@bp.route("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest, in the page's language."""
    name = current_app.config["CLASSBOX"]["box"]["name"]
    body = {
        "name": f"classbox · {name}",
        "short_name": "classbox",
        "description": _("La classe et la bibliothèque de l'école, même sans Internet."),
        "lang": current_language(),
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#f3f5f8",
        "theme_color": THEME,
        "icons": [
            {"src": "/static/pwa/icon.svg", "sizes": "any", "type": "image/svg+xml"},
            {"src": "/static/pwa/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/pwa/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/static/pwa/icon-maskable-512.png", "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response
