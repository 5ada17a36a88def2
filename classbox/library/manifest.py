"""The `classbox-pack/1` manifest (classbox-pack.json): parsing and validation."""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from classbox.config import parse_utf8
from classbox.library.catalogue import IMPORTED_ONLY_KINDS, KINDS, LEVELS
from classbox.library.store import valid_sha
from classbox.web.i18n_marks import N_, ShownError

MANIFEST_NAME = "classbox-pack.json"
FORMAT = "classbox-pack/1"
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_RESOURCES = 100_000
PACK_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SUBJECT_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
DRIVE_RE = re.compile(r"^[A-Za-z]:")
EXTRA_TYPES = {".webm": "video/webm", ".mp4": "video/mp4", ".ogv": "video/ogg", ".opus": "audio/ogg",
               ".ogg": "audio/ogg", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".epub": "application/epub+zip",
               ".svg": "image/svg+xml", ".webp": "image/webp", ".md": "text/markdown", ".txt": "text/plain"}


class PackError(ShownError):
    """A pack that cannot be imported, described in one line (the errors an admin page is likely to
    show also carry a French sentence; the rest stay technical English)."""


@dataclass
class ResourceSpec:
    """One resource entry of a manifest."""

    path: str
    title: str
    description: str = ""
    kind: str = "other"
    mime: str = "application/octet-stream"
    subject: str = ""
    level: str = ""
    license: str = ""
    attribution: str = ""
    tags: list[str] = field(default_factory=list)
    sha256: str | None = None


@dataclass
class Manifest:
    """A validated pack manifest."""

    id: str
    version: str
    title: str
    language: str
    publisher: str
    license: str
    resources: list[ResourceSpec]
    raw: dict
    lessons: list = field(default_factory=list)  # classbox.lessons.store.Lesson, resource steps checked


def safe_member_path(name: str) -> str:
    """A normalised relative POSIX path, or PackError for `..`, absolute paths, drive letters."""
    if not isinstance(name, str) or not name or "\x00" in name or len(name) > 1024:
        raise PackError(f"invalid path {str(name)[:80]!r}")
    unsafe = N_("fichier refusé : il contient un chemin qui sortirait de son dossier (%(path)s)")
    if "\\" in name or name.startswith("/") or DRIVE_RE.match(name):
        raise PackError(f"unsafe path {name[:80]!r} (absolute, drive letter or backslash)", unsafe, path=name[:80])
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        raise PackError(f"unsafe path {name[:80]!r} (outside the pack)", unsafe, path=name[:80])
    return str(PurePosixPath(*parts))


def guess_mime(path: str) -> str:
    """The MIME type of a file from its extension."""
    ext = PurePosixPath(path).suffix.lower()
    return EXTRA_TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def guess_kind(mime: str, path: str) -> str:
    """The catalogue kind of a file from its MIME type."""
    if mime.startswith("video/"):
        return "video"
    if mime.startswith("audio/"):
        return "audio"
    if mime.startswith("image/"):
        return "image"
    if mime == "application/pdf":
        return "pdf"
    if mime in ("text/html", "application/xhtml+xml"):
        return "html"
    if mime == "application/epub+zip":
        return "epub"
    if mime.startswith("text/"):
        return "text"
    return "other"


def _text(entry: dict, key: str, where: str, required: bool = False, limit: int = 2000) -> str:
    value = entry.get(key)
    if value is None:
        if required:
            raise PackError(f"{where}: missing \"{key}\"")
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise PackError(f"{where}: \"{key}\" must be a non-empty string of at most {limit} characters")
    return value.strip()


def _resource(entry: Any, index: int) -> ResourceSpec:
    where = f"resources[{index}]"
    if not isinstance(entry, dict):
        raise PackError(f"{where}: must be an object")
    path = safe_member_path(_text(entry, "path", where, required=True, limit=1024))
    if path == MANIFEST_NAME:
        raise PackError(f"{where}: the manifest cannot be a resource")
    mime = guess_mime(path)
    kind = _text(entry, "kind", where) or guess_kind(mime, path)
    if kind not in KINDS or kind in IMPORTED_ONLY_KINDS:
        raise PackError(f"{where}: unknown kind {kind!r} "
                        f"(one of {', '.join(k for k in KINDS if k not in IMPORTED_ONLY_KINDS)})")
    level = _text(entry, "level", where)
    if level and level not in LEVELS:
        raise PackError(f"{where}: unknown level {level!r} (one of {', '.join(LEVELS)})")
    subject = _text(entry, "subject", where)
    if subject and not SUBJECT_RE.match(subject):
        raise PackError(f"{where}: subject must be a lowercase slug such as \"sciences\"")
    sha = entry.get("sha256")
    if sha is not None and not valid_sha(sha):
        raise PackError(f"{where}: sha256 must be 64 lowercase hex characters")
    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and len(t) < 80 for t in tags) or len(tags) > 50:
        raise PackError(f"{where}: tags must be a list of short strings")
    return ResourceSpec(path=path, title=_text(entry, "title", where, required=True, limit=300),
                        description=_text(entry, "description", where, limit=5000), kind=kind, mime=mime,
                        subject=subject, level=level, license=_text(entry, "license", where, limit=200),
                        attribution=_text(entry, "attribution", where, limit=500), tags=tags, sha256=sha)


def _lessons(raw: Any, pack_id: str, specs: list[ResourceSpec]) -> list:
    """The pack's lessons, each resource step checked against the pack's files (PackError names lesson and step)."""
    from classbox.lessons.packlessons import parse_pack_lessons
    from classbox.lessons.steps import LessonError
    from classbox.library.packs import resource_id

    try:
        return parse_pack_lessons(raw, pack_id, {spec.path: spec.title for spec in specs}, resource_id)
    except LessonError as err:
        if err.field and err.shown:  # a step's own error: say where, then what
            raise PackError(f"{MANIFEST_NAME}: {err}", N_("%(field)s : %(message)s"), field=err.field,
                            message=err.shown % err.params if err.params else err.shown) from None
        raise PackError(f"{MANIFEST_NAME}: {err}", err.shown, **err.params) from None


def parse_manifest(data: bytes) -> Manifest:
    """Parse and validate a manifest's bytes; PackError says what is wrong."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise PackError(f"{MANIFEST_NAME} is too large ({len(data)} bytes)")
    raw = parse_utf8(data, json.loads, json.JSONDecodeError, PackError,
                     not_utf8=f"{MANIFEST_NAME} is not UTF-8", invalid=f"{MANIFEST_NAME} is not valid JSON")
    if not isinstance(raw, dict):
        raise PackError(f"{MANIFEST_NAME} must hold a JSON object")
    fmt = raw.get("format")
    if fmt != FORMAT:
        raise PackError(f"unknown pack format {str(fmt)[:40]!r}: this classbox reads {FORMAT!r}",
                        N_("format de paquet inconnu : cette classbox lit les paquets %(format)s"), format=FORMAT)
    where = MANIFEST_NAME
    pack_id = _text(raw, "id", where, required=True, limit=64)
    if not PACK_ID_RE.match(pack_id):
        raise PackError(f"{where}: id must be lowercase letters, digits, '.', '_' or '-' (max 64)")
    language = _text(raw, "language", where, required=True, limit=20)
    if not LANG_RE.match(language):
        raise PackError(f"{where}: language must be a code such as \"fr\"")
    resources = raw.get("resources")
    if not isinstance(resources, list) or not resources or len(resources) > MAX_RESOURCES:
        raise PackError(f"{where}: \"resources\" must be a non-empty list (at most {MAX_RESOURCES})")
    specs = [_resource(entry, i) for i, entry in enumerate(resources)]
    seen: set[str] = set()
    for spec in specs:
        if spec.path in seen:
            raise PackError(f"{where}: duplicate resource path {spec.path!r}")
        seen.add(spec.path)
    return Manifest(id=pack_id, version=_text(raw, "version", where, required=True, limit=40),
                    lessons=_lessons(raw.get("lessons"), pack_id, specs),
                    title=_text(raw, "title", where, required=True, limit=300), language=language,
                    publisher=_text(raw, "publisher", where, required=True, limit=200),
                    license=_text(raw, "license", where, required=True, limit=200), resources=specs, raw=raw)
