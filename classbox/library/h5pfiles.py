"""Finding a stored H5P's files for the player: content files, library files under versioned URLs,
their MIME types, and the Internet addresses a content points to."""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import urlsplit

import sqlite_utils

from classbox.library.h5p import LIBRARY_FOLDER_RE
from classbox.library.h5pimport import content_owner, library_owner

# The types H5P's whitelist allows (classbox.library.h5p.ALLOWED_EXTENSIONS), as browsers expect them.
MIME_TYPES = {
    "js": "text/javascript", "css": "text/css", "json": "application/json", "png": "image/png",
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "bmp": "image/bmp", "tif": "image/tiff",
    "tiff": "image/tiff", "svg": "image/svg+xml", "eot": "application/vnd.ms-fontobject", "ttf": "font/ttf",
    "woff": "font/woff", "woff2": "font/woff2", "otf": "font/otf", "webm": "video/webm", "mp4": "video/mp4",
    "ogg": "audio/ogg", "mp3": "audio/mpeg", "m4a": "audio/mp4", "wav": "audio/wav", "txt": "text/plain",
    "pdf": "application/pdf", "rtf": "application/rtf", "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation", "xml": "application/xml", "csv": "text/csv",
    "diff": "text/x-diff", "patch": "text/x-diff", "swf": "application/x-shockwave-flash",
    "md": "text/markdown", "textile": "text/plain", "vtt": "text/vtt", "webvtt": "text/vtt",
}
TOKEN_RE = re.compile(r"^[0-9a-f]{16}$")
URL_RE = re.compile(r"^(?:https?:)?//[^/]", re.IGNORECASE)


def mime_type(path: str) -> str:
    """The MIME type of a file of an H5P package, from its extension (text is sent as UTF-8)."""
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return MIME_TYPES.get(ext, "application/octet-stream")


def content_info(db: sqlite_utils.Database, pack: str) -> dict | None:
    """A stored H5P content: its main library and the libraries it needs (keys), or None."""
    row = db.execute("SELECT main_library, dependencies FROM h5p_content WHERE pack = ?", [pack]).fetchone()
    return {"main_library": row[0], "dependencies": json.loads(row[1])} if row else None


def libraries_token(db: sqlite_utils.Database, dependencies: list[str]) -> str:
    """The version of a set of libraries as stored now (changes when a newer patch replaces one)."""
    marks = ",".join("?" * len(dependencies)) or "''"
    rows = db.execute(f"SELECT key, patch FROM h5p_library WHERE key IN ({marks}) ORDER BY key",
                      dependencies).fetchall()
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def token_serves(db: sqlite_utils.Database, token: str, key: str) -> bool:
    """Whether `token` is the current version of the libraries of a content that needs `key`."""
    if not TOKEN_RE.match(token) or not LIBRARY_FOLDER_RE.match(key):
        return False
    like = "%" + json.dumps(key).replace("%", r"\%").replace("_", r"\_") + "%"
    for (dependencies,) in db.execute("SELECT DISTINCT dependencies FROM h5p_content WHERE dependencies LIKE ? "
                                      "ESCAPE '\\'", [like]):
        needed = json.loads(dependencies)
        if key in needed and libraries_token(db, needed) == token:
            return True
    return False


def content_file(db: sqlite_utils.Database, pack: str, path: str) -> tuple[str, int] | None:
    """(sha256, size) of a content's file (`h5p.json`, `content/...`), or None."""
    row = db.execute("SELECT sha256, size FROM h5p_file WHERE owner = ? AND path = ?",
                     [content_owner(pack), path]).fetchone()
    return (row[0], row[1]) if row else None


def library_file(db: sqlite_utils.Database, key: str, path: str) -> tuple[str, int] | None:
    """(sha256, size) of a stored library's file (`library.json`, `scripts/x.js`...), or None."""
    row = db.execute("SELECT sha256, size FROM h5p_file WHERE owner = ? AND path = ?",
                     [library_owner(key), path]).fetchone()
    return (row[0], row[1]) if row else None


def internet_hosts(content: object) -> list[str]:
    """The hosts outside the box a content's media point to (a YouTube video, a picture by URL), sorted.

    H5P gives a media file as {"path": ..., "mime": ...}: a `path` (or an embedder's `source`)
    that is an absolute URL needs the Internet; links in the text do not stop the exercise.
    """
    hosts: set[str] = set()
    stack = [content]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("path", "source") and isinstance(item, str) and URL_RE.match(item.strip()):
                    url = item.strip()
                    host = urlsplit("http:" + url if url.startswith("//") else url).hostname
                    if host:
                        hosts.add(host.lower())
                else:
                    stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
    return sorted(hosts)
