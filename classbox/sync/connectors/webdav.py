"""WebDAV connector: a pupil's hand-in (the file + a JSON of metadata) into the ENT workspace.

Path: <root>/<school>/<class>/<date>-<code>/<pupil>/<activity>-<filename>. Each file is PUT
under a temporary name in its final folder, then MOVEd into place: no partial file is ever
visible under a final name, and a retry after any failure simply starts over.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

import httpx

from classbox.sync.backoff import Permanent, Transient
from classbox.sync.clock import Dated
from classbox.sync.connectors import Outcome
from classbox.sync.link import Link, check_status
from classbox.sync.outbox import OutboxRecord
from classbox.sync.records import HANDED_IN
from classbox.sync.statements import iso


def slug(text: Any, fallback: str = "x", limit: int = 60) -> str:
    """A safe path segment: ASCII letters, digits, dot, dash, underscore; never '.' or '..'."""
    norm = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", norm).strip("-.")[:limit].strip("-.")
    return clean or fallback


class WebdavConnector:
    """Uploads hand-ins to one WebDAV workspace."""

    kind = "webdav"

    def __init__(self, link: Link, url: str, username: str, password: str, root: str,
                 data_dir: Path, school: str, date: Callable[[OutboxRecord], Dated],
                 roster: Callable[[str], str | None] = lambda name: None,
                 target: str = "workspace", box_id: str = ""):
        self.link = link
        self.base = url.rstrip("/")
        self.probe_url = self.base + "/"
        self.auth = httpx.BasicAuth(username, password) if username else None
        self.root = [slug(part) for part in root.strip("/").split("/") if part.strip()]
        self.data_dir = Path(data_dir).resolve()
        self.school = slug(school, "ecole")
        self.date = date
        self.roster = roster
        self.target = target
        self.box_id = box_id
        self.batch_size = 1
        self.known_dirs: set[str] = set()

    def deliver(self, records: list[OutboxRecord]) -> list[Outcome]:
        """Upload each hand-in in order; stop at the first transient failure."""
        outcomes: list[Outcome] = []
        for record in records:
            try:
                outcomes.append(Outcome.delivered(self._upload(record)))
            except Transient as err:
                outcomes.append(Outcome.retry(str(err), err.retry_after))
                break
            except Permanent as err:
                outcomes.append(Outcome.dead(str(err)))
        return outcomes

    def folder(self, record: OutboxRecord) -> list[str]:
        """The segments of a hand-in's folder under the WebDAV url."""
        payload = record.payload
        session = payload.get("session") or {}
        pupil = payload.get("pupil") or {}
        when = self.date(record)
        login = self.roster(str(pupil.get("name") or ""))
        who = slug(login) if login else f"{slug(pupil.get('name'), 'eleve', 40)}-{slug(pupil.get('id'), 'x', 8)}"
        day = iso(when.epoch)[:10]
        return [*self.root, self.school, slug(session.get("title"), "classe"),
                f"{day}-{slug(session.get('code'), 'session', 16)}", who]

    def _local_file(self, payload: dict[str, Any]) -> Path:
        """The hand-in's file in the data dir, checked (inside the data dir, size and sha256)."""
        relative = str(payload.get("path") or "")
        path = (self.data_dir / relative).resolve()
        if not relative or not path.is_relative_to(self.data_dir) or not path.is_file():
            raise Permanent(f"hand-in file missing: {relative!r}")
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if payload.get("sha256") and digest.hexdigest() != payload["sha256"]:
            raise Permanent(f"hand-in file changed on disk (sha256 mismatch): {relative!r}")
        return path

    def _upload(self, record: OutboxRecord) -> int:
        payload = record.payload
        if payload.get("event") != HANDED_IN:
            raise Permanent(f"unknown webdav event {payload.get('event')!r}")
        source = self._local_file(payload)
        segments = self.folder(record)
        self._mkcols(segments)
        activity = payload.get("activity") or {}
        stem = f"{slug(activity.get('id'), 'devoir', 12)}-{slug(payload.get('filename'), 'fichier', 80)}"
        content = source.read_bytes()
        meta = json.dumps(self._metadata(record), ensure_ascii=False, indent=1).encode()
        key = slug(record.idempotency_key, "k", 40)
        self._put_then_move(segments, stem, content, key, payload.get("mime"))
        self._put_then_move(segments, stem + ".json", meta, key, "application/json")
        return len(content) + len(meta)

    def _metadata(self, record: OutboxRecord) -> dict[str, Any]:
        payload = record.payload
        keep = ("filename", "mime", "size", "sha256", "pupil", "session", "activity")
        meta = {k: payload.get(k) for k in keep}
        when = self.date(record)
        meta.update(box=self.box_id, seq=record.seq, id=record.idempotency_key,
                    handed_in_at=iso(when.epoch), clock="ok" if when.anchored else "unverified")
        return meta

    def _url(self, segments: list[str]) -> str:
        return self.base + "/" + "/".join(quote(s) for s in segments)

    def _mkcols(self, segments: list[str]) -> None:
        """Create each missing parent collection, top down (405 means it exists)."""
        for depth in range(1, len(segments) + 1):
            url = self._url(segments[:depth]) + "/"
            if url in self.known_dirs:
                continue
            response = self.link.request("MKCOL", url, auth=self.auth)
            if response.status_code not in (201, 405):
                self._fail(response, "MKCOL")
            self.known_dirs.add(url)

    def _put_then_move(self, segments: list[str], name: str, content: bytes, key: str,
                       mime: Any) -> None:
        final = self._url([*segments, name])
        temp = self._url([*segments, f".{key}.{slug(name, 'f', 40)}.part"])
        headers = {"Content-Type": str(mime) if mime else "application/octet-stream"}
        self._check(self.link.request("PUT", temp, content, headers, self.auth), "PUT")
        response = self.link.request("MOVE", temp, auth=self.auth,
                                     headers={"Destination": final, "Overwrite": "T"})
        self._check(response, "MOVE")

    def _check(self, response: httpx.Response, what: str) -> None:
        if response.status_code >= 300:
            self._fail(response, what)

    def _fail(self, response: httpx.Response, what: str) -> None:
        """Raise for a failed answer: 409 (a parent folder vanished) and 5xx retry, other 4xx die."""
        self.known_dirs.clear()  # the folders we created may be gone: MKCOL them again next time
        if response.status_code == 409:
            raise Transient(f"WebDAV {what}: HTTP 409 (a parent folder is missing; created again next try)")
        check_status(response, f"WebDAV {what}", "sync.webdav")
        raise Transient(f"WebDAV {what}: unexpected HTTP {response.status_code}")
