"""ZIM books: import (checked, copied atomically to <data_dir>/zim/) and the open-archive registry."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from libzim.reader import Archive

from classbox.config import Config
from classbox.library import catalogue
from classbox.library.manifest import PackError
from classbox.library.packs import ImportResult, resource_id
from classbox.library.staging import check_free_space, staging
from classbox.library.zimblobs import Unreadable, ZimFile
from classbox.storage import open_database
from classbox.storage.core import next_seq
from classbox.storage.files import fsync_path
from classbox.web.i18n_marks import N_

BOOK_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
LANGS = {"fra": "fr", "eng": "en", "deu": "de", "spa": "es", "ita": "it", "por": "pt", "ara": "ar"}


def _meta(archive: Archive, key: str) -> str:
    try:
        return archive.get_metadata(key).decode("utf-8", "replace").strip()
    except (KeyError, RuntimeError):
        return ""


def book_name(archive: Archive, path: Path) -> str:
    """The URL name of a book: its Name metadata (or file name), as a lowercase slug."""
    raw = _meta(archive, "Name") or path.stem
    name = re.sub(r"[^a-z0-9._-]+", "-", raw.lower()).strip("-._")[:100]
    if not BOOK_RE.match(name):
        raise PackError(f"{path.name}: cannot make a book name from {raw!r}")
    return name


def open_checked(path: Path) -> Archive:
    """Open a ZIM file and verify its checksum; PackError for a truncated or corrupt file."""
    try:
        archive = Archive(path)
        if archive.has_checksum and not archive.check():
            raise PackError(f"{path.name}: ZIM checksum mismatch (corrupt file)",
                            N_("ce fichier ZIM est abîmé (somme de contrôle fausse)"))
    except RuntimeError as err:
        raise PackError(f"{path.name}: not a valid ZIM file ({err})",
                        N_("ce fichier n'est pas un fichier ZIM valide (incomplet ou abîmé ?)")) from None
    return archive


def import_zim(config: Config, path: Path, source_label: str | None = None) -> ImportResult:
    """Register a ZIM file as a book (copied to <data_dir>/zim/). Caller holds the import lock."""
    archive = open_checked(path)
    name = book_name(archive, path)
    uuid = str(archive.uuid)
    pack_id = f"zim-{name}"
    db = open_database(config.data_dir)
    try:
        row = db.execute("SELECT uuid, file FROM zim_book WHERE name = ?", [name]).fetchone()
        if row and row[0] == uuid:
            return ImportResult(pack_id, uuid, "unchanged", 1)
        size = path.stat().st_size
        check_free_space(config, size)
        zim_dir = config.data_dir / "zim"
        zim_dir.mkdir(exist_ok=True)
        filename = f"{name}.{uuid.replace('-', '')[:12]}.zim"
        with staging(config) as folder:
            tmp = folder / filename
            shutil.copyfile(path, tmp)
            fsync_path(tmp)
            shutil.move(tmp, zim_dir / filename)
            fsync_path(zim_dir)
            try:
                _register(db, config, archive, name, uuid, filename, size, pack_id, source_label or str(path))
            except Exception:
                (zim_dir / filename).unlink(missing_ok=True)
                raise
        if row:
            (zim_dir / row[1]).unlink(missing_ok=True)
        return ImportResult(pack_id, uuid, "updated" if row else "added", 1, size)
    finally:
        db.conn.close()


def _register(db, config: Config, archive: Archive, name: str, uuid: str, filename: str, size: int,
              pack_id: str, source: str) -> None:
    """Catalogue rows of a book: its pack, its zim_book row and its resource (one transaction)."""
    title = _meta(archive, "Title") or name
    lang = _meta(archive, "Language").split(",")[0]
    lang = LANGS.get(lang, lang[:2] or "fr")
    main = archive.main_entry.get_redirect_entry().path if archive.has_main_entry else None
    now = time.time()
    with db.atomic():
        catalogue.delete_pack_rows(db, pack_id)
        catalogue.add_pack(db, pack_id, kind="zim", version=uuid, title=title, language=lang,
                           publisher=_meta(archive, "Publisher"), license="", source=source, manifest=None, now=now)
        db.execute("INSERT INTO zim_book (name, pack, file, title, uuid, main_path, article_count, has_fulltext, "
                   "size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [name, pack_id, filename, title, uuid, main, archive.article_count,
                    int(archive.has_fulltext_index), size])
        catalogue.index_resource(db, {
            "id": resource_id(pack_id, name), "pack": pack_id, "path": name, "title": title,
            "description": _meta(archive, "Description"), "kind": "zim", "mime": "application/x-zim",
            "subject": "encyclopedie", "level": "", "language": lang, "license": _meta(archive, "License"),
            "attribution": _meta(archive, "Creator") or _meta(archive, "Publisher"), "size": size,
            "sha256": None, "tags": _meta(archive, "Tags").replace(";", " ")[:500], "added_at": now,
            "seq": next_seq(db, "library")})


@dataclass
class Book:
    """An open ZIM book."""

    name: str
    title: str
    uuid: str
    archive: Archive
    has_fulltext: bool
    raw: ZimFile | None = None  # the same file read raw, for contents off the event loop (zimblobs)


def _raw(path: Path) -> ZimFile | None:
    """The raw reader of a ZIM libzim opened, or None (libzim then reads every content)."""
    try:
        return ZimFile(path)
    except (Unreadable, OSError):
        return None


class BookRegistry:
    """Open archives by book name, refreshed from the catalogue every few seconds."""

    def __init__(self, data_dir: Path, ttl: float = 5.0):
        self.data_dir = data_dir
        self.ttl = ttl
        self._lock = threading.Lock()
        self._rows: dict[str, tuple] = {}
        self._loaded = -1e9
        self._open: OrderedDict[str, Book] = OrderedDict()

    def _refresh(self) -> None:
        db = open_database(self.data_dir, durable=False)
        try:
            rows = db.execute("SELECT name, file, title, uuid, has_fulltext FROM zim_book").fetchall()
        finally:
            db.conn.close()
        self._rows = {r[0]: r for r in rows}
        self._loaded = time.monotonic()
        for name in list(self._open):
            if name not in self._rows or self._rows[name][3] != self._open[name].uuid:
                del self._open[name]

    def get(self, name: str) -> Book | None:
        """The open book called `name`, or None (unknown names never touch the disk)."""
        if not BOOK_RE.match(name or ""):
            return None
        with self._lock:
            book = self._open.get(name)
            if book is not None and time.monotonic() - self._loaded < self.ttl:
                return book
            age = time.monotonic() - self._loaded
            if age >= self.ttl or (name not in self._rows and age >= 1.0):
                self._refresh()
            row = self._rows.get(name)
            if row is None:
                return None
            book = self._open.get(name)
            if book is None:
                path = self.data_dir / "zim" / row[1]
                try:
                    archive = Archive(path)
                except RuntimeError:
                    return None
                book = Book(name, row[2], row[3], archive, bool(row[4]), _raw(path))
                self._open[name] = book
            return book
