"""Importing `classbox-pack/1` packs: all or nothing, idempotent, newer versions replace older."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils
from packaging.version import InvalidVersion, Version

from classbox.config import Config
from classbox.lessons.packlessons import delete_pack_lessons, sync_pack_lessons
from classbox.library import catalogue, directio
from classbox.library.copier import (InflateError, OverLimit, copy_hashed, crc32, file_reader, inflate_reader,
                                     stream_reader)
from classbox.library.manifest import Manifest, PackError, ResourceSpec, parse_manifest
from classbox.library.packsource import PackSource, RawMember, open_pack
from classbox.library.rangecopy import copy_range_hashed
from classbox.library.sidebyside import Batch
from classbox.library.staging import check_free_space, staging
from classbox.library.store import BlobStore
from classbox.storage import open_database
from classbox.storage.core import next_seq
from classbox.storage.files import fsync_path
from classbox.web.i18n_marks import N_

MB = 1024 * 1024
NEW_FILE = os.O_RDWR | os.O_CREAT | os.O_EXCL
NO_ROOM = {errno.ENOSPC, errno.EDQUOT}
# Zip members through the page cache (the kernel's writeback keeps the disk busy: 0.92 × `cp + sync`
# against 0.50 with O_DIRECT in paired runs, docs/performance.md), or with O_DIRECT (less CPU).
DIRECT_WRITES = False


@dataclass
class ImportResult:
    """What an import did: "added", "updated" or "unchanged", and how much."""

    pack: str
    version: str
    status: str
    resources: int
    bytes_written: int = 0

    def __str__(self) -> str:
        return f"{self.pack} {self.version}: {self.status} ({self.resources} resources)"


def resource_id(pack: str, path: str) -> str:
    """A stable id for a resource: the same pack path keeps its id across versions."""
    return hashlib.sha256(f"{pack}\0{path}".encode()).hexdigest()[:16]


def version_key(text: str) -> tuple:
    """Sortable form of a pack version (PEP 440 when possible, else text)."""
    try:
        return (1, Version(text), "")
    except InvalidVersion:
        return (0, Version("0"), text)


def _installed(db: sqlite_utils.Database, pack_id: str) -> dict | None:
    row = db.execute("SELECT version, manifest FROM pack WHERE id = ?", [pack_id]).fetchone()
    return {"version": row[0], "manifest": row[1]} if row else None


def _damaged(text: str, path: str) -> PackError:
    """A member that does not read back whole: the English detail, and one sentence for pages."""
    return PackError(text, N_("le paquet est incomplet ou abîmé : %(path)s ne se lit pas en entier"), path=path)


def _stage(source: PackSource, spec: ResourceSpec, target: Path | None,
           batch: Batch | None = None) -> tuple[str, int, Path | None]:
    """Copy one member to a staging file (target None: only hash it), checking its size and sha256;
    with a `batch`, the copy stops at its next buffer once another file of the batch failed."""
    batch = batch or Batch(1)
    expected = source.size(spec.path)
    fd = None
    try:
        raw = source.raw_member(spec.path)
        if target is not None:  # folder files are copied by the kernel
            fd = directio.open_new(target) if raw is not None and DIRECT_WRITES else os.open(target, NEW_FILE, 0o600)
        if raw is not None:  # a zip member: read (and inflate) its bytes directly
            sha, size, crc = _copy_raw(raw, fd, expected, with_crc=not spec.sha256, batch=batch)
            if not spec.sha256 and crc != raw.crc:  # the manifest's sha256, when given, proves the bytes
                raise _damaged(f"{spec.path!r}: CRC-32 mismatch in the zip; damaged pack?", spec.path)
        else:
            with source.open(spec.path) as src:
                copied = None if fd is None else copy_range_hashed(src.fileno(), 0, expected, fd, with_crc=False,
                                                                   check=batch.check)
                if copied is not None and copied[1] == expected and os.fstat(src.fileno()).st_size > expected:
                    raise OverLimit("the file grew while it was copied")
                sha, size = copied[:2] if copied else copy_hashed(batch.reader(stream_reader(src)), fd, expected,
                                                                  sync=False)
    except OverLimit:
        raise PackError(f"{spec.path!r}: more data than announced (zip bomb?)") from None
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error, InflateError) as err:
        if getattr(err, "errno", None) in NO_ROOM:  # the disk, not the pack
            raise PackError(f"the disk is full: {spec.path!r} could not be stored ({err})",
                            N_("le disque est plein")) from None
        raise _damaged(f"cannot read {spec.path!r} ({err}); truncated or damaged pack?", spec.path) from None
    finally:
        if fd is not None:
            os.close(fd)
    if size != expected:
        raise _damaged(f"{spec.path!r}: {size} bytes read, {expected} announced; truncated pack?", spec.path)
    if spec.sha256 and spec.sha256 != sha:
        raise PackError(f"sha256 mismatch for {spec.path!r}: manifest says {spec.sha256}, file is {sha}",
                        N_("%(path)s n'est pas le fichier annoncé par le paquet (empreinte sha256 différente)"),
                        path=spec.path)
    return sha, size, target


def _copy_raw(raw: RawMember, fd: int | None, expected: int, with_crc: bool, batch: Batch) -> tuple[str, int, int]:
    """A zip member's bytes to `fd` (None: only hashed): (sha256, size, CRC-32 or 0 without `with_crc`).
    Read (and inflated), hashed and written by copier.py's pipeline, the three side by side; a
    stored member at a page-aligned offset written through the page cache is copied inside the
    kernel instead."""
    if not raw.deflated and fd is not None and not directio.is_direct(fd):
        copied = copy_range_hashed(raw.fd, raw.offset, raw.length, fd, with_crc=with_crc, check=batch.check)
        if copied is not None:
            return copied
    crc = [0]
    reader = batch.reader((inflate_reader if raw.deflated else file_reader)(raw.fd, raw.offset, raw.length))
    observe = (lambda chunk: crc.__setitem__(0, crc32(chunk, crc[0]))) if with_crc else None
    sha, size = copy_hashed(reader, fd, expected, sync=False, observe=observe)
    return sha, size, crc[0]


def _stage_all(source: PackSource, manifest: Manifest, store: BlobStore, folder: Path) -> list:
    """Stage every resource, two files at a time (sidebyside.py), then fsync the staged files (their
    disk writes started while copying). Members only zipfile can read are staged one at a time.

    A resource whose declared sha256 is already in the store is only hashed, to check it.
    """
    batch = Batch() if all(source.parallel_safe(spec.path) for spec in manifest.resources) else Batch(1)

    def job(index: int, spec: ResourceSpec):
        present = spec.sha256 is not None and store.has(spec.sha256)
        return lambda: (spec, *_stage(source, spec, None if present else folder / f"{index}.part", batch=batch))

    staged = batch.run([job(index, spec) for index, spec in enumerate(manifest.resources)])
    for _spec, _sha, _size, tmp in staged:
        if tmp is not None:
            fsync_path(tmp)
    return staged


def _row(manifest: Manifest, spec: ResourceSpec, sha: str, size: int, now: float, seq: int) -> dict:
    return {"id": resource_id(manifest.id, spec.path), "pack": manifest.id, "path": spec.path,
            "title": spec.title, "description": spec.description, "kind": spec.kind, "mime": spec.mime,
            "subject": spec.subject, "level": spec.level, "language": manifest.language,
            "license": spec.license or manifest.license, "attribution": spec.attribution or manifest.publisher,
            "size": size, "sha256": sha, "tags": " ".join(spec.tags), "added_at": now, "seq": seq}


def import_pack(config: Config, path: Path, source_label: str | None = None) -> ImportResult:
    """Import a pack (zip or folder) into the library, atomically. Caller holds the import lock."""
    store = BlobStore(config.data_dir, config["library"]["extra_roots"])
    source = open_pack(path, config["library"]["max_pack_mb"] * MB)
    try:
        manifest = parse_manifest(source.read_manifest())
        canonical = json.dumps(manifest.raw, sort_keys=True, ensure_ascii=False)
        db = open_database(config.data_dir)
        try:
            installed = _installed(db, manifest.id)
            if installed and installed["version"] == manifest.version and installed["manifest"] == canonical:
                return ImportResult(manifest.id, manifest.version, "unchanged", len(manifest.resources))
            if installed and version_key(installed["version"]) > version_key(manifest.version):
                raise PackError(f"pack {manifest.id} version {installed['version']} is installed, "
                                f"newer than {manifest.version}: nothing changed",
                                N_("la version %(installed)s du paquet %(pack)s, plus récente que la %(version)s, "
                                   "est déjà installée"),
                                installed=installed["version"], pack=manifest.id, version=manifest.version)
            sizes = {spec.path: source.size(spec.path) for spec in manifest.resources}
            needed = sum(sizes[s.path] for s in manifest.resources if not (s.sha256 and store.has(s.sha256)))
            check_free_space(config, needed)
            with staging(config) as folder:
                staged = _stage_all(source, manifest, store, folder)
                return _commit(db, store, manifest, canonical, staged, source_label or str(path),
                               "updated" if installed else "added")
        finally:
            db.conn.close()
    finally:
        source.close()


def _commit(db: sqlite_utils.Database, store: BlobStore, manifest: Manifest, canonical: str,
            staged: list, source_label: str, status: str) -> ImportResult:
    """Move staged blobs into the store and swap the pack's rows in one transaction."""
    new_blobs = [sha for _spec, sha, _size, _tmp in staged if store.find(sha) is None]
    written = 0
    folders = set()
    for _spec, sha, size, tmp in staged:
        if tmp is None:  # already in the store (checked by its hash)
            continue
        if store.find(sha) is None:
            written += size
        folders.add(store.adopt(tmp, sha, sync_dir=False).parent)
    for folder in folders:  # the renames are durable before the catalogue points at them
        fsync_path(folder)
    now = time.time()
    with catalogue.replacing_blobs(db, store, new_blobs) as old_blobs:
        old_blobs += catalogue.delete_pack_rows(db, manifest.id)
        catalogue.add_pack(db, manifest.id, kind="pack", version=manifest.version, title=manifest.title,
                           language=manifest.language, publisher=manifest.publisher, license=manifest.license,
                           source=source_label, manifest=canonical, now=now)
        for spec, sha, size, _tmp in staged:
            catalogue.index_resource(db, _row(manifest, spec, sha, size, now, next_seq(db, "library")))
        sync_pack_lessons(db, manifest.id, manifest.lessons)
    return ImportResult(manifest.id, manifest.version, status, len(staged), written)


def remove_pack(config: Config, pack_id: str) -> int:
    """Remove a pack or a ZIM book and the files only it used; return resources removed."""
    db = open_database(config.data_dir)
    store = BlobStore(config.data_dir)
    try:
        if db.execute("SELECT 1 FROM pack WHERE id = ?", [pack_id]).fetchone() is None:
            raise PackError(f"no pack named {pack_id!r} (see `classbox library list`)")
        count = db.execute("SELECT count(*) FROM resource WHERE pack = ?", [pack_id]).fetchone()[0]
        files = [r[0] for r in db.execute("SELECT file FROM zim_book WHERE pack = ?", [pack_id])]
        with db.atomic():
            shas = catalogue.delete_pack_rows(db, pack_id)
            delete_pack_lessons(db, pack_id)  # teachers' copies of them stay
        for sha in catalogue.unreferenced(db, shas):
            store.delete(sha)
        for name in files:
            (config.data_dir / "zim" / name).unlink(missing_ok=True)
        return count
    finally:
        db.conn.close()
