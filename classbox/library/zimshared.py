"""Decompressed ZIM clusters shared by the web workers: one copy per box, in RAM, read with pread.

Each worker used to keep its own decompressed clusters (zimblobs.ClusterCache), so with N
workers a popular encyclopedia was held N times, and each worker decompressed again what another
had already done. Here a worker that decompresses a cluster writes it to a file in a private
folder on /dev/shm (a tmpfs: RAM, gone at reboot); every worker then reads an entry's bytes from
that file with os.pread (the kernel's one copy; nothing stays in the worker). The folder is
bounded (oldest clusters removed first) and emptied when the web service starts and stops.

Files are named by the ZIM file's identity (its uuid, inode, size and modification time) and
cluster number, written under a temporary name and renamed, so a reader sees a whole cluster or
none. Anything odd — the folder not ours, a file not matching its offsets, tmpfs full — and the
worker decompresses the cluster itself, as before.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import struct
import threading
from pathlib import Path

from classbox.library.zimblobs import ClusterCache, Location, Unreadable, ZimFile, blob_of

SHM = Path("/dev/shm")
SHARED_BYTES = 32 * 1024 * 1024  # for the whole box, however many workers


def shared_folder(data_dir: Path) -> Path:
    """The tmpfs folder of the clusters shared by the workers serving `data_dir`."""
    digest = hashlib.sha1(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    return SHM / f"classbox-zim-{os.getuid()}-{digest}"


def clear(folder: Path) -> None:
    """Remove the shared clusters (the web service starts or stops)."""
    shutil.rmtree(folder, ignore_errors=True)


def _private_folder(folder: Path) -> bool:
    """Create `folder` (0700) if needed; True only if it is a real folder of ours that nobody else can write."""
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077 == 0


class SharedClusters:
    """Clusters decompressed once per box and read by every worker from a tmpfs folder."""

    def __init__(self, folder: Path, max_bytes: int = SHARED_BYTES):
        self.folder = folder
        self.max_bytes = max_bytes
        self.usable = _private_folder(folder)
        self._loads = ClusterCache(max_bytes=0)  # one decompression per cluster in this worker, nothing kept
        self._lock = threading.Lock()

    def blob(self, raw: ZimFile, key: str, where: Location) -> bytes:
        """An entry's bytes: from the shared file of its cluster, else decompressed here (and shared)."""
        name = _file_name(raw, key, where.cluster)
        if self.usable:
            try:
                data = _read_blob(self.folder / name, where.blob, where.wide)
            except Unreadable:
                data = None  # a damaged file: decompress again, the rename below replaces it
            if data is not None:
                return data
        cluster = self._loads.get((key, where.cluster), lambda: self._keep(name, raw.inflate(where.cluster)))
        return blob_of(cluster, where.blob, where.wide)

    def _keep(self, name: str, data: bytes) -> bytes:
        """Share a decompressed cluster (best effort), then make room; runs in the offload pool."""
        if not self.usable or len(data) > self.max_bytes:
            return data
        temp = self.folder / f".{name}.{os.getpid()}.{threading.get_ident()}"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.rename(temp, self.folder / name)
        except OSError:  # tmpfs full, folder removed at shutdown...: serve without sharing
            temp.unlink(missing_ok=True)
            return data
        self._make_room(keep=name)
        return data

    def _make_room(self, keep: str) -> None:
        """Remove the oldest shared clusters until the folder holds at most max_bytes."""
        with self._lock:
            files = []
            for entry in os.scandir(self.folder):
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                files.append((info.st_mtime_ns, entry.name, info.st_size))
            total = sum(size for _, _, size in files)
            for _, name, size in sorted(files):
                if total <= self.max_bytes:
                    break
                if name != keep:
                    try:
                        os.unlink(self.folder / name)
                    except OSError:
                        continue
                    total -= size

    def used_bytes(self) -> int:
        """Bytes of clusters in the shared folder now."""
        return used_bytes(self.folder)


def used_bytes(folder: Path) -> int:
    """Bytes of the clusters shared in `folder` (RAM: it is on a tmpfs)."""
    try:
        return sum(entry.stat(follow_symlinks=False).st_size for entry in os.scandir(folder))
    except OSError:
        return 0


def _file_name(raw: ZimFile, key: str, cluster: int) -> str:
    return f"{hashlib.sha1(f'{key}/{raw.identity}'.encode()).hexdigest()}-{cluster}"


def _read_blob(path: Path, blob: int, wide: bool) -> bytes | None:
    """Blob number `blob` of a shared decompressed cluster, None if it is not there (yet, or any more)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        width, code = (8, "<Q") if wide else (4, "<I")
        first = os.pread(fd, width, 0)
        pair = os.pread(fd, 2 * width, blob * width)
        if len(first) != width or len(pair) != 2 * width:
            raise Unreadable("no such blob")
        table_end = struct.unpack(code, first)[0]
        low, high = struct.unpack("<" + code[1] * 2, pair)
        if (blob + 2) * width > table_end or not table_end <= low <= high:
            raise Unreadable("no such blob")
        data = os.pread(fd, high - low, low)
        if len(data) != high - low:
            raise Unreadable("blob outside its cluster")
        return data
    finally:
        os.close(fd)
