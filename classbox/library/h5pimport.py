"""Importing a `.h5p` as a library resource of kind `h5p`: libraries stored once per major.minor,
files content-addressed in the blob store, all or nothing."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import sqlite_utils

from classbox.config import Config
from classbox.library import catalogue
from classbox.library.h5p import CONTENT_JSON, H5P_JSON, Dependency, Library, Package, read_package
from classbox.library.manifest import ResourceSpec
from classbox.library.packs import ImportResult, _stage, resource_id
from classbox.library.packsource import ZipPack
from classbox.library.staging import MB, check_free_space, staging
from classbox.library.store import BlobStore, fsync_path
from classbox.storage import open_database
from classbox.storage.core import next_seq

H5P_MIME = "application/vnd.h5p+json"  # the resource's blob is its h5p.json


def library_owner(key: str) -> str:
    """The `h5p_file.owner` of a stored library (`library:H5P.Name-1.0`)."""
    return f"library:{key}"


def content_owner(pack_id: str) -> str:
    """The `h5p_file.owner` of a stored content."""
    return f"content:{pack_id}"


def package_id(source: ZipPack) -> str:
    """A stable id for a content: the hash of its h5p.json and content.json (the same exercise,
    zipped again, is the same resource)."""
    digest = hashlib.sha256()
    for path in (H5P_JSON, CONTENT_JSON):
        with source.open(path) as handle:
            digest.update(handle.read())
        digest.update(b"\0")
    return f"h5p-{digest.hexdigest()[:16]}"


def stored_patches(db: sqlite_utils.Database) -> dict[str, int]:
    """The libraries on the box: folder key -> patch version."""
    return dict(db.execute("SELECT key, patch FROM h5p_library").fetchall())


def import_h5p(config: Config, path: Path, source_label: str | None = None) -> ImportResult:
    """Validate a `.h5p` then store it; the caller holds the import lock."""
    limit = min(config["library"]["max_h5p_mb"], config["library"]["max_pack_mb"]) * MB
    source = ZipPack(path, limit)
    try:
        db = open_database(config.data_dir)
        try:
            patches = stored_patches(db)
            package = read_package(source, lambda dep: dep.key in patches)
            pack_id = package_id(source)
            exists = db.execute("SELECT 1 FROM pack WHERE id = ?", [pack_id]).fetchone() is not None
            newer = [lib for key, lib in package.libraries.items() if lib.patch > patches.get(key, -1)]
            if exists and not newer:
                return ImportResult(pack_id, "1", "unchanged", 1)
            paths = [p for lib in newer for p in lib.files] + ([] if exists else [H5P_JSON, *package.content_files])
            check_free_space(config, sum(source.size(p) for p in paths))
            store = BlobStore(config.data_dir, config["library"]["extra_roots"])
            with staging(config) as folder:
                staged = {p: _stage(source, ResourceSpec(path=p, title=p), folder / f"{i}.part")[:2]
                          for i, p in enumerate(paths)}
                for i in range(len(paths)):
                    fsync_path(folder / f"{i}.part")
                written = _adopt(store, folder, paths, staged)
                _commit(db, store, package, pack_id, None if exists else source_label or str(path), newer, staged)
            return ImportResult(pack_id, "1", "updated" if exists else "added", 1, written)
        finally:
            db.conn.close()
    finally:
        source.close()


def _adopt(store: BlobStore, folder: Path, paths: list[str], staged: dict[str, tuple[str, int]]) -> int:
    """Move the staged files into the blob store (durably); bytes that were new to the store."""
    written = 0
    folders = set()
    for index, path in enumerate(paths):
        sha, size = staged[path]
        if store.find(sha) is None:
            written += size
        folders.add(store.adopt(folder / f"{index}.part", sha, sync_dir=False).parent)
    for parent in folders:
        fsync_path(parent)
    return written


def _files(db: sqlite_utils.Database, owner: str, files: dict[str, tuple[str, int]]) -> None:
    db.execute("DELETE FROM h5p_file WHERE owner = ?", [owner])
    for path, (sha, size) in files.items():
        db.execute("INSERT INTO h5p_file (owner, path, sha256, size) VALUES (?, ?, ?, ?)", [owner, path, sha, size])


def _commit(db: sqlite_utils.Database, store: BlobStore, package: Package, pack_id: str, source_label: str | None,
            newer: list[Library], staged: dict[str, tuple[str, int]]) -> None:
    """Replace older patches of the package's libraries and add the content, in one transaction."""
    now = time.time()
    old: list[str] = []
    new_blobs = [sha for sha, _size in staged.values()]
    try:
        with db.atomic():
            for lib in newer:
                key, prefix = lib.dependency.key, lib.dependency.key + "/"
                owner = library_owner(key)
                old += [r[0] for r in db.execute("SELECT sha256 FROM h5p_file WHERE owner = ?", [owner])]
                db.execute("INSERT OR REPLACE INTO h5p_library (key, machine_name, major, minor, patch, title, "
                           "meta, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [key, lib.dependency.machine_name, lib.dependency.major, lib.dependency.minor,
                            lib.patch, lib.title, json.dumps(lib.meta, ensure_ascii=False), now])
                _files(db, owner, {p[len(prefix):]: staged[p] for p in lib.files})
            if source_label is not None:
                _add_content(db, package, pack_id, source_label, staged, now)
    except Exception:
        for sha in catalogue.unreferenced(db, new_blobs):
            store.delete(sha)
        raise
    for sha in catalogue.unreferenced(db, old):
        store.delete(sha)


def _add_content(db: sqlite_utils.Database, package: Package, pack_id: str, source_label: str,
                 staged: dict[str, tuple[str, int]], now: float) -> None:
    """The pack row, the content's files and dependencies, and its catalogue entry."""
    db.execute("INSERT INTO pack (id, version, title, language, publisher, license, source, kind, manifest, "
               "imported_at, seq) VALUES (?, '1', ?, ?, '', ?, ?, 'h5p', ?, ?, ?)",
               [pack_id, package.title, package.language, package.license, source_label,
                json.dumps(package.meta, ensure_ascii=False, sort_keys=True), now, next_seq(db, "library")])
    db.execute("INSERT INTO h5p_content (pack, main_library, dependencies) VALUES (?, ?, ?)",
               [pack_id, package.main_library, json.dumps([d.key for d in _all_needed(package)])])
    _files(db, content_owner(pack_id), {p: staged[p] for p in [H5P_JSON, *package.content_files]})
    sha, _size = staged[H5P_JSON]
    authors = package.meta.get("authors") if isinstance(package.meta.get("authors"), list) else []
    attribution = ", ".join(str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name"))[:500]
    catalogue.index_resource(db, {
        "id": resource_id(pack_id, H5P_JSON), "pack": pack_id, "path": H5P_JSON, "title": package.title,
        "description": "", "kind": "h5p", "mime": H5P_MIME, "subject": "", "level": "",
        "language": package.language, "license": package.license, "attribution": attribution,
        "size": sum(staged[p][1] for p in package.content_files), "sha256": sha, "tags": "h5p",
        "added_at": now, "seq": next_seq(db, "library")})


def _all_needed(package: Package) -> list[Dependency]:
    """The libraries the content needs, its own and theirs (as far as the file shows them)."""
    seen: dict[str, Dependency] = {}
    queue = list(package.dependencies)
    while queue:
        dep = queue.pop(0)
        if dep.key in seen:
            continue
        seen[dep.key] = dep
        if dep.key in package.libraries:
            queue += package.libraries[dep.key].needs
    return list(seen.values())
