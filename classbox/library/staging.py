"""Import discipline: one import at a time, staging folders, free-space checks, crash cleanup.

Every import works in <data_dir>/tmp/import-<uuid>/, holding an exclusive lock on
<data_dir>/tmp/library-import.lock. A staging folder still present when no import runs is
the trace of an interrupted import: `cleanup` removes it, with the blobs and ZIM files it may
have placed that no catalogue row references.
"""

from __future__ import annotations

import fcntl
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from classbox.config import Config
from classbox.library.manifest import PackError
from classbox.web.i18n_marks import N_

LOCK_NAME = "library-import.lock"
STAGING_PREFIX = "import-"
MB = 1024 * 1024


class ImportBusy(PackError):
    """Another import holds the lock (HTTP 409 for an upload)."""

    status = 409


def tmp_dir(config: Config) -> Path:
    """The data dir's temp folder (same filesystem as the blobs)."""
    path = config.data_dir / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def import_lock(config: Config, wait: bool = False) -> Iterator[None]:
    """Hold the library's import lock; PackError if another import holds it."""
    handle = open(tmp_dir(config) / LOCK_NAME, "a")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise ImportBusy("another import is running; try again when it is done",
                            N_("un autre import est en cours : réessayez quand il sera terminé")) from None
        yield
    finally:
        handle.close()


@contextmanager
def staging(config: Config) -> Iterator[Path]:
    """A fresh staging folder, removed on the way out (whatever happens)."""
    folder = tmp_dir(config) / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_free_space(config: Config, needed: int, where: Path | None = None) -> None:
    """Refuse (PackError) when writing `needed` bytes would cross [library] min_free_mb."""
    free = shutil.disk_usage(where or config.data_dir).free
    keep = config["library"]["min_free_mb"] * MB
    if free - needed < keep:
        raise PackError(
            f"not enough disk space: the import needs {needed / MB:.1f} MB, {free / MB:.1f} MB are free "
            f"and {keep / MB:.0f} MB must stay free ([library] min_free_mb)",
            N_("pas assez de place : l'import demande %(needed)s Mo, %(free)s Mo sont libres et %(keep)s Mo "
               "doivent le rester"), needed=f"{needed / MB:.1f}", free=f"{free / MB:.1f}", keep=f"{keep / MB:.0f}")


def cleanup(config: Config) -> list[str]:
    """Remove what interrupted imports left behind; return what was removed."""
    from classbox.library.store import BlobStore
    from classbox.storage import open_database

    removed: list[str] = []
    try:
        with import_lock(config):
            leftovers = [p for p in tmp_dir(config).glob(f"{STAGING_PREFIX}*")]
            if not leftovers:
                return removed
            for path in leftovers:
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
                removed.append(str(path))
            db = open_database(config.data_dir)
            try:
                used = {r[0] for r in db.execute("SELECT sha256 FROM resource WHERE sha256 IS NOT NULL")}
                books = {r[0] for r in db.execute("SELECT file FROM zim_book")}
            finally:
                db.conn.close()
            store = BlobStore(config.data_dir)
            for sha, path in list(store.iter_blobs()):
                if sha not in used:
                    path.unlink(missing_ok=True)
                    removed.append(str(path))
            zim_dir = config.data_dir / "zim"
            for path in zim_dir.glob("*.zim") if zim_dir.is_dir() else []:
                if path.name not in books:
                    path.unlink(missing_ok=True)
                    removed.append(str(path))
    except PackError:
        pass  # an import is running right now: its staging folder is not an orphan
    return removed

