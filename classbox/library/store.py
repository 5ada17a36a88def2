"""The blob store: content-addressed files at <data_dir>/blobs/ab/cd/<sha256>.

Names are checked against ^[0-9a-f]{64}$ before the disk is touched. Writes go to a temp
file in <data_dir>/tmp, are fsynced, then renamed into place, so a blob in the store is
always complete. Read-only extra roots (a USB drive) are searched after the main store.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from classbox.storage.files import fsync_path

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


class BlobError(Exception):
    """A blob name or content problem."""


def valid_sha(name: str) -> bool:
    """True when `name` is a lowercase 64-hex-digit sha256."""
    return isinstance(name, str) and SHA256_RE.fullmatch(name) is not None


def shard(root: Path, sha: str) -> Path:
    """The sharded path of a blob under one root: root/ab/cd/<sha>."""
    if not valid_sha(sha):
        raise BlobError(f"invalid blob name {sha[:80]!r}")
    return root / sha[:2] / sha[2:4] / sha


@dataclass
class VerifyReport:
    """What `verify` found: blobs checked, corrupt ones (quarantined), bytes read."""

    checked: int = 0
    bytes: int = 0
    corrupt: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        return {"checked": self.checked, "bytes": self.bytes, "corrupt": list(self.corrupt)}


class BlobStore:
    """Content-addressed files: one writable root and optional read-only extra roots."""

    def __init__(self, data_dir: Path, extra_roots: Iterable[str | os.PathLike] = ()):
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "blobs"
        self.tmp = self.data_dir / "tmp"
        self.quarantine = self.data_dir / "quarantine"
        self.extra_roots = [Path(p) for p in extra_roots]

    def path(self, sha: str) -> Path:
        """Where a blob lives (or would live) in the main store."""
        return shard(self.root, sha)

    def find(self, sha: str) -> Path | None:
        """The file holding a blob: main store first, then the extra roots; None if absent."""
        if not valid_sha(sha):
            return None
        for root in [self.root, *self.extra_roots]:
            candidate = shard(root, sha)
            if candidate.is_file():
                return candidate
        return None

    def has(self, sha: str) -> bool:
        """True when the blob is available somewhere."""
        return self.find(sha) is not None

    def temp_file(self, prefix: str = "blob-") -> tuple[BinaryIO, Path]:
        """A new temp file in <data_dir>/tmp (same filesystem as the store)."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=self.tmp)
        return os.fdopen(fd, "wb"), Path(name)

    def write_stream(self, source: BinaryIO, limit: int | None = None,
                     expected_sha: str | None = None) -> tuple[str, int]:
        """Copy a stream into the store (hash while writing); return (sha256, size).

        Raises BlobError when more than `limit` bytes arrive or the hash differs from
        `expected_sha`; nothing is left behind in that case.
        """
        handle, tmp = self.temp_file()
        digest = hashlib.sha256()
        size = 0
        try:
            with handle:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise BlobError(f"more data than announced ({size} > {limit} bytes)")
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            sha = digest.hexdigest()
            if expected_sha is not None and sha != expected_sha:
                raise BlobError(f"sha256 mismatch: expected {expected_sha}, got {sha}")
            self.adopt(tmp, sha)
            return sha, size
        finally:
            tmp.unlink(missing_ok=True)

    def adopt(self, tmp: Path, sha: str, sync_dir: bool = True) -> Path:
        """Move a complete, fsynced temp file into place (kept if the blob already exists).

        With sync_dir=False the caller fsyncs the blob's folder later (batched imports).
        """
        final = self.path(sha)
        if final.exists():
            tmp.unlink(missing_ok=True)
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
        if sync_dir:
            fsync_path(final.parent)
        return final

    def write_bytes(self, data: bytes) -> str:
        """Store bytes; return their sha256."""
        import io

        return self.write_stream(io.BytesIO(data))[0]

    def delete(self, sha: str) -> bool:
        """Remove a blob from the main store (extra roots are read-only)."""
        path = self.path(sha)
        try:
            path.unlink()
            return True
        except FileNotFoundError:
            return False

    def iter_blobs(self) -> Iterator[tuple[str, Path]]:
        """Every well-named blob file of the main store."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("??/??/*")):
            if path.is_file() and valid_sha(path.name) and path.parent.parent.name == path.name[:2] \
                    and path.parent.name == path.name[2:4]:
                yield path.name, path

    def total_size(self) -> int:
        """Bytes used by the main store."""
        return sum(path.stat().st_size for _sha, path in self.iter_blobs())

    def verify(self) -> VerifyReport:
        """Rehash every blob; move corrupt ones to <data_dir>/quarantine and report them."""
        report = VerifyReport()
        for sha, path in self.iter_blobs():
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    report.bytes += len(chunk)
            report.checked += 1
            if digest.hexdigest() != sha:
                self.quarantine.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), self.quarantine / sha)
                report.corrupt.append(sha)
        return report


def file_sha256(path: Path) -> str:
    """The sha256 of a file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
