"""Hand-in files on disk: placed durably before the database records them, removed when it does
not, leftovers swept at start, and a free-space floor that keeps room for answers."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import time
import uuid
from pathlib import Path

from classbox.classroom.errors import ClassroomError
from classbox.storage.files import fsync_path

HANDIN_DIR = "handins"
SWEEP_GRACE_S = 600.0  # a leftover younger than this may be an upload still on its way (another process)


def handin_path(session_id: int, pupil_id: str, submission_id: str, ext: str) -> Path:
    """Where a hand-in file lives, relative to the data dir (built from checked parts only)."""
    uuid.UUID(submission_id)
    if not re.fullmatch(r"[0-9a-f]{32}", pupil_id):
        raise ClassroomError("unknown_pupil")
    return Path(HANDIN_DIR) / str(int(session_id)) / pupil_id / f"{submission_id}.{ext}"


def check_floor(data_dir: Path, size: int, floor_mb: int) -> None:
    """ClassroomError("storage_full") if storing `size` bytes would leave less than `floor_mb` free
    (0: no floor, the disk itself decides)."""
    if floor_mb > 0 and shutil.disk_usage(data_dir).free - size < floor_mb * 1024 * 1024:
        raise ClassroomError("storage_full")


def state(data_dir: Path, floor_mb: int) -> dict:
    """Whether hand-ins are taken ({"handins", "free_mb", "floor_mb"}): the dashboard's disk banner."""
    free = shutil.disk_usage(data_dir).free // (1024 * 1024)
    return {"handins": free >= floor_mb, "free_mb": free, "floor_mb": floor_mb}


def place(data_dir: Path, relative: Path, data: bytes) -> bool:
    """Write the file at `relative` durably (temp file, fsync, link, fsync of the folder), before any
    transaction. True if this call placed it; False if the same bytes were there already (a resend).
    ClassroomError("storage") if the disk refuses, ("duplicate_id") if other bytes hold the name;
    nothing is left behind on failure."""
    final = Path(data_dir) / relative
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
    placed = False
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        placed = _link(tmp, final, data)
        fsync_path(final.parent)
    except OSError as err:
        if placed:
            remove(data_dir, relative)
        raise ClassroomError("storage", os.strerror(err.errno) if err.errno else "write failed") from None
    finally:
        tmp.unlink(missing_ok=True)
    return placed


def _link(tmp: Path, final: Path, data: bytes) -> bool:
    """Give `tmp` its final name without replacing an existing file; True if placed here."""
    try:
        os.link(tmp, final)
        return True
    except FileExistsError:
        pass
    except OSError as err:  # a filesystem without hard links (FAT): rename, unless taken
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP) or final.exists():
            raise
        os.replace(tmp, final)
        return True
    if hashlib.sha256(final.read_bytes()).digest() != hashlib.sha256(data).digest():
        raise ClassroomError("duplicate_id", "other bytes under this submission id")
    return False


def remove(data_dir: Path, relative: Path | str) -> None:
    """Remove a hand-in file the database does not hold (a refused or failed hand-in)."""
    try:
        (Path(data_dir) / relative).unlink(missing_ok=True)
    except OSError:
        pass  # the start-up sweep will find it


def sweep(data_dir: Path, referenced: set[str], now: float | None = None, grace_s: float = SWEEP_GRACE_S) -> int:
    """Remove temp files and files no submission holds, older than `grace_s`; how many were removed."""
    root = Path(data_dir) / HANDIN_DIR
    if not root.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    for path in root.rglob("*"):
        try:
            if not path.is_file() or now - path.stat().st_mtime < grace_s:
                continue
            if path.name.endswith(".tmp") or str(path.relative_to(data_dir)) not in referenced:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed
