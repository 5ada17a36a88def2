"""Library: cached resources — content packs, ZIM books, French search, blob serving."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from classbox.config import Config
from classbox.features import hook
from classbox.library.schema import migrations

if TYPE_CHECKING:  # imported on use: `classbox agent` needs neither Flask nor the pack reader
    from flask import Blueprint, Flask

    from classbox.library.manifest import PackError
    from classbox.library.packs import ImportResult

__all__ = ["migrations", "init_app", "cli_commands", "import_path", "import_source", "remove_imported", "PackError"]


def __getattr__(name: str) -> Any:
    """`PackError` and `ImportResult`, imported on first use."""
    if name == "PackError":
        from classbox.library.manifest import PackError

        return PackError
    if name == "ImportResult":
        from classbox.library.packs import ImportResult

        return ImportResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def import_path(config: Config, path: str | Path, source_label: str | None = None,
                wait: bool = True) -> ImportResult:
    """Import a pack (zip or folder), a ZIM file or an H5P file from the local disk."""
    from classbox.library.staging import import_lock
    from classbox.web.datadir import prepare_data_dir

    prepare_data_dir(config).conn.close()
    with import_lock(config, wait=wait):
        return import_locked(config, Path(path), source_label)


def import_locked(config: Config, path: Path, source_label: str | None = None) -> ImportResult:
    """Import a pack or ZIM file; the caller holds the import lock."""
    from classbox.library.packs import import_pack
    from classbox.library.zim import import_zim

    if path.is_file() and path.suffix.lower() == ".zim":
        return import_zim(config, path, source_label)
    if path.is_file() and path.suffix.lower() == ".h5p":
        from classbox.library.h5pimport import import_h5p

        return import_h5p(config, path, source_label)
    return import_pack(config, path, source_label)


def remove_imported(config: Config, pack_id: str, source_label: str) -> int:
    """Remove a pack or ZIM book still installed from `source_label`; resources removed (0: gone, or
    replaced since by an import from elsewhere, which stays)."""
    from classbox.library.packs import remove_pack
    from classbox.library.staging import import_lock
    from classbox.storage import open_database

    with import_lock(config, wait=True):
        db = open_database(config.data_dir)
        try:
            row = db.execute("SELECT source FROM pack WHERE id = ?", [pack_id]).fetchone()
        finally:
            db.conn.close()
        if row is None or row[0] != source_label:
            return 0
        return remove_pack(config, pack_id)


def import_source(config: Config, source: str, sha256: str | None = None) -> ImportResult:
    """Import from a local path or an http(s) URL (downloaded resumably, then verified)."""
    if urlsplit(source).scheme in ("http", "https"):
        from classbox.library.download import download

        target = download(config, source, sha256)
        result = import_path(config, target, source_label=source)
        target.unlink(missing_ok=True)
        return result
    if sha256 is not None:
        from classbox.library.manifest import PackError
        from classbox.library.store import file_sha256

        if Path(source).is_file() and file_sha256(Path(source)) != sha256:
            raise PackError(f"sha256 mismatch for {source}")
    return import_path(config, source)


@hook
def blueprints() -> list[Blueprint]:
    """The library pages and API, the ZIM reader, the upload and verify endpoints."""
    from classbox.library import admin, h5pviews, views, zimviews

    return [views.bp, zimviews.bp, admin.bp, h5pviews.bp]


@hook
def init_app(app: Flask) -> None:
    """Clean up after interrupted imports; the admin panel and the fast ZIM path."""
    from classbox.library.admin import register_admin
    from classbox.library.staging import cleanup
    from classbox.library.zimfast import install

    cleanup(app.config["CLASSBOX"])
    register_admin(app)
    install(app)


@hook
def cli_commands() -> list:
    """The `classbox library` command group."""
    from classbox.library.cli import library

    return [library]
