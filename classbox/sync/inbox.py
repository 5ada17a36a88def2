"""The inbox: mirror a WebDAV folder of resources and packs into the library.

PROPFIND lists the folder; a file whose ETag is unchanged is not downloaded again; downloads
resume with Range (If-Range on the ETag); a file is verified (size, optional `.sha256`
sibling, zip integrity) before `classbox.library.import_path` gets it; with `inbox_delete`, a
file removed upstream removes the pack it installed (`classbox.library.remove_imported`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse
from xml.etree import ElementTree

import httpx
import sqlite_utils

from classbox.config import Config, read_secret_file
from classbox.sync.backoff import Transient
from classbox.sync.connectors.webdav import slug
from classbox.sync.link import Link, check_status

log = logging.getLogger("classbox.sync.inbox")
DAV = "{DAV:}"
PROPFIND_BODY = (b'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>'
                 b"<d:getetag/><d:getcontentlength/><d:resourcetype/></d:prop></d:propfind>")
MAX_LISTING = 8 * 1024 * 1024
MAX_DEPTH = 3


def source_label(name: str) -> str:
    """How the library records a pack installed from the inbox file `name`."""
    return f"inbox:{name}"


class InboxError(Exception):
    """A remote listing or file that cannot be used."""


class Rejected(InboxError):
    """The library refused a verified file (already recorded as rejected)."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of the remote folder."""

    name: str  # path relative to the inbox folder, made of safe segments
    url: str
    etag: str
    size: int | None


def parse_multistatus(body: bytes, base_url: str) -> tuple[list[RemoteFile], list[str]]:
    """Files and sub-folder URLs of a PROPFIND answer (hostile XML refused)."""
    if len(body) > MAX_LISTING or b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise InboxError("PROPFIND answer refused (too large or with a DTD)")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as err:
        raise InboxError(f"PROPFIND answer is not XML ({err})") from None
    base_path = urlparse(base_url).path.rstrip("/") + "/"
    files, folders = [], []
    for response in root.iter(f"{DAV}response"):
        href = (response.findtext(f"{DAV}href") or "").strip()
        path = unquote(urlparse(href).path)
        if not path.startswith(base_path) or ".." in path.split("/"):
            continue
        relative = path[len(base_path):].strip("/")
        if not relative:
            continue
        found = _found_props(response)
        url = urljoin(base_url, href)
        if "resourcetype" in found and found["resourcetype"].find(f"{DAV}collection") is not None:
            folders.append(url.rstrip("/") + "/")
            continue
        length = (found["getcontentlength"].text or "").strip() if "getcontentlength" in found else ""
        etag = (found["getetag"].text or "").strip() if "getetag" in found else ""
        name = "/".join(slug(part, "f", 120) for part in relative.split("/"))
        files.append(RemoteFile(name, url, etag, int(length) if length.isdigit() else None))
    return files, folders


def _found_props(response: ElementTree.Element) -> dict[str, ElementTree.Element]:
    """The properties of a response's 200 propstats, by local name."""
    found = {}
    for propstat in response.iter(f"{DAV}propstat"):
        status = propstat.findtext(f"{DAV}status") or "200"
        if " 200 " not in f" {status} ":
            continue
        for prop in propstat.iter(f"{DAV}prop"):
            for child in prop:
                found[child.tag.replace(DAV, "")] = child
    return found


class Inbox:
    """Pulls one WebDAV folder."""

    def __init__(self, config: Config, link: Link, db: sqlite_utils.Database, url: str,
                 auth: httpx.Auth | None, delete_upstream: bool):
        self.config = config
        self.link = link
        self.db = db
        self.url = url.rstrip("/") + "/"
        self.auth = auth
        self.delete_upstream = delete_upstream
        self.work = config.data_dir / "tmp" / "inbox"
        self.max_bytes = config["library"]["max_pack_mb"] * 1024 * 1024

    @classmethod
    def from_config(cls, config: Config, link: Link, db: sqlite_utils.Database) -> "Inbox":
        dav = config["sync.webdav"]
        password = read_secret_file(dav["password_file"], "[sync.webdav] password_file")
        auth = httpx.BasicAuth(dav["username"], password) if dav["username"] else None
        folder = dav["inbox"] if "://" in dav["inbox"] else dav["url"].rstrip("/") + "/" + dav["inbox"].strip("/")
        return cls(config, link, db, folder, auth, dav["inbox_delete"])

    def listing(self) -> list[RemoteFile]:
        """Every file under the folder (sub-folders to MAX_DEPTH)."""
        found: list[RemoteFile] = []
        queue, seen = [(self.url, 0)], set()
        while queue:
            url, depth = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response = self.link.request("PROPFIND", url, PROPFIND_BODY,
                                         {"Depth": "1", "Content-Type": "application/xml"}, self.auth)
            check_status(response, "PROPFIND inbox")
            files, folders = parse_multistatus(response.content, self.url)
            found.extend(files)
            queue.extend((f, depth + 1) for f in folders if depth + 1 < MAX_DEPTH)
        return found

    def pull(self) -> dict[str, int]:
        """Mirror the folder once; returns counts."""
        counts = {"listed": 0, "unchanged": 0, "imported": 0, "failed": 0, "deleted": 0}
        remote = self.listing()
        counts["listed"] = len(remote)
        sums = {f.name[:-7]: f for f in remote if f.name.endswith(".sha256")}
        known = {row[0]: row for row in self.db.execute(
            "SELECT path, etag, state FROM sync_inbox").fetchall()}
        for item in remote:
            if item.name.endswith(".sha256"):
                continue
            row = known.get(item.name)
            if row and row[1] == item.etag and item.etag and row[2] in ("imported", "rejected"):
                counts["unchanged"] += 1
                continue
            try:
                self._fetch(item, sums.get(item.name))
                counts["imported"] += 1
            except (InboxError, Transient) as err:
                counts["failed"] += 1
                if not isinstance(err, Rejected):
                    self._record(item, "failed", error=str(err))
                log.warning("inbox %s: %s", item.name, err)
        names = {f.name for f in remote}
        for path, _, state in known.values():
            if path not in names and state != "deleted":
                counts["deleted"] += self._upstream_deleted(path)
        return counts

    def _fetch(self, item: RemoteFile, sum_file: RemoteFile | None) -> None:
        if item.size is not None and item.size > self.max_bytes:
            raise InboxError(f"too large ({item.size} bytes > [library] max_pack_mb)")
        free = shutil.disk_usage(self.config.data_dir).free
        if item.size and free - item.size < self.config["library"]["min_free_mb"] * 1024 * 1024:
            raise InboxError("not enough free space on the box")
        self.work.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha1(item.name.encode()).hexdigest()[:16]
        part, tag = self.work / f"{key}.part", self.work / f"{key}.etag"
        if part.exists() and (not tag.exists() or tag.read_text() != item.etag):
            part.unlink()
        tag.write_text(item.etag)
        with open(part, "ab") as handle:
            offset = handle.tell()
            if item.size is not None and offset > item.size:
                handle.truncate(0)
                offset = 0
            response = self.link.download(item.url, handle, offset, self.auth, item.etag or None)
            check_status(response, f"GET {item.name}")
            handle.flush()
            os.fsync(handle.fileno())
        digest = self._verify(part, item, sum_file)
        final = self.work / key / Path(item.name).name
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, final)
        tag.unlink(missing_ok=True)
        try:
            ref = self._import(final, item.name)
        except Exception as err:  # the library refused it: not fetched again until it changes
            shutil.rmtree(final.parent, ignore_errors=True)
            self._record(item, "rejected", sha256=digest, error=f"library refused it: {err}"[:500])
            raise Rejected(f"library refused it: {err}") from None
        self._record(item, "imported", sha256=digest, ref=ref)

    def _verify(self, part: Path, item: RemoteFile, sum_file: RemoteFile | None) -> str:
        size = part.stat().st_size
        if item.size is not None and size != item.size:
            part.unlink(missing_ok=True)
            raise InboxError(f"size {size} differs from the announced {item.size}")
        digest = hashlib.sha256()
        with open(part, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if sum_file is not None:
            response = self.link.request("GET", sum_file.url, auth=self.auth)
            check_status(response, f"GET {sum_file.name}")
            expected = response.text.split()[0].lower() if response.text.split() else ""
            if expected != digest.hexdigest():
                part.unlink(missing_ok=True)
                raise InboxError("sha256 differs from the .sha256 file")
        if item.name.lower().endswith((".zip", ".h5p")):
            try:
                with zipfile.ZipFile(part) as archive:
                    bad = archive.testzip()
            except (zipfile.BadZipFile, OSError) as err:
                part.unlink(missing_ok=True)
                raise InboxError(f"damaged zip ({err})") from None
            if bad is not None:
                part.unlink(missing_ok=True)
                raise InboxError(f"damaged zip member {bad}")
        return digest.hexdigest()

    def _import(self, path: Path, name: str) -> str:
        """Hand the verified file to the library; the id of the pack (or book) it installed."""
        from classbox import library

        result = library.import_path(self.config, path, source_label=source_label(name))
        shutil.rmtree(path.parent, ignore_errors=True)
        return result.pack

    def _upstream_deleted(self, path: str) -> int:
        """Forget a file gone from the folder; with inbox_delete, remove the pack it installed."""
        if not self.delete_upstream:
            return 0
        from classbox import library

        row = self.db.execute("SELECT library_ref FROM sync_inbox WHERE path = ?", [path]).fetchone()
        if row and row[0]:
            removed = library.remove_imported(self.config, row[0], source_label(path))
            log.info("inbox %s deleted upstream: pack %s removed (%s resources)", path, row[0], removed)
        with self.db.conn:
            self.db.execute("UPDATE sync_inbox SET state = 'deleted' WHERE path = ?", [path])
        return 1

    def _record(self, item: RemoteFile, state: str, sha256: str | None = None,
                ref: Any = None, error: str | None = None) -> None:
        with self.db.conn:
            self.db.execute(
                "INSERT INTO sync_inbox (path, etag, size, sha256, state, error, imported_wall, library_ref) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET etag = excluded.etag, "
                "size = excluded.size, sha256 = COALESCE(excluded.sha256, sha256), state = excluded.state, "
                "error = excluded.error, imported_wall = excluded.imported_wall, "
                "library_ref = COALESCE(excluded.library_ref, library_ref)",
                [item.name, item.etag if state in ("imported", "rejected") else None, item.size, sha256, state,
                 error, time.time(), ref])
