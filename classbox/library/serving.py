"""Sending blobs: Range, ETag, If-None-Match, If-Range, immutable caching, or X-Accel-Redirect."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app, request, send_file

IMMUTABLE = "public, max-age=31536000, immutable"
ACCEL_PREFIX = "/_blobs/"
# Everything a pack or an upload brings runs in an opaque origin, whatever type it claims (HTML,
# SVG, XHTML, any +xml, odd case...): it cannot read the box's cookies, call its API as the user,
# or reach the page that embeds it.
SANDBOX_CSP = ("sandbox allow-scripts allow-popups; default-src 'none'; script-src 'unsafe-inline'; "
               "style-src 'unsafe-inline' 'self'; img-src 'self' data:; media-src 'self'; font-src 'self' data:; "
               "connect-src 'none'; form-action 'none'; frame-ancestors 'self'; base-uri 'none'")


def content_disposition(filename: str, inline: bool = True) -> str:
    """A Content-Disposition header safe for any UTF-8 filename (RFC 6266 / 5987)."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename) or "fichier"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def harden(response: Response, mime: str) -> Response:
    """Headers every blob gets, whatever its type: nosniff and the sandboxing CSP."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SANDBOX_CSP
    return response


def send_blob(path: Path, sha: str, mime: str, filename: str, accel_root: Path | None = None) -> Response:
    """The response for one blob file (HEAD and GET; Range and conditional requests)."""
    behind_nginx = current_app.config["CLASSBOX"]["web"]["behind_nginx"]
    if behind_nginx and accel_root is not None and path.is_relative_to(accel_root):
        response = _accel(path, sha, mime, accel_root)
    else:
        response = send_file(path, mimetype=mime, conditional=True, etag=sha, max_age=31536000,
                             last_modified=path.stat().st_mtime)
        response.headers["Cache-Control"] = IMMUTABLE
    response.headers["Content-Disposition"] = content_disposition(filename)
    return harden(response, mime)


def _accel(path: Path, sha: str, mime: str, root: Path) -> Response:
    """Let nginx send the bytes (it handles Range); conditional GETs are answered here."""
    etag = f'"{sha}"'
    if request.if_none_match and (request.if_none_match.contains(sha) or request.if_none_match.star_tag):
        response = Response(status=304)
    else:
        response = Response(mimetype=mime)
        response.headers["X-Accel-Redirect"] = ACCEL_PREFIX + path.relative_to(root).as_posix()
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = IMMUTABLE
    response.content_type = mime
    return response
