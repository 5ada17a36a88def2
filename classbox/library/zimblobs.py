"""ZIM entry contents read off the event loop: clusters decompressed in the offload pool.

python-libzim holds the GIL while it reads and decompresses a cluster (openzim/python-libzim#266),
so under a gevent worker one cold entry stops every other connection of that worker for the
whole decompression. libzim still finds entries (paths, redirects, mime types, searches); this
module only fetches an entry's bytes: it reads the entry's directory record and its cluster with
os.pread and inflates the cluster with zstandard or lzma, all of which release the GIL, in the
offload pool (classbox.runtime.offload), while the worker keeps serving. Decompressed clusters go
to a small byte-bounded LRU, shared by the greenlets of a worker (one decompression per cluster,
however many wait for it).

The ZIM format (openzim.org/wiki/ZIM_file_format) is read here, not through another library: the
pure-Python ZIM readers on PyPI are unmaintained, and only four fixed layouts are needed (header,
path pointer, directory entry, cluster). Anything unexpected — another layout, a record that is not
the entry libzim found, a codec other than zstd/xz, an oversized or damaged cluster — raises
Unreadable, and the caller falls back to libzim, whose answer (content or a clear error) stands.
"""

from __future__ import annotations

import lzma
import os
import struct
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import zstandard

from classbox.runtime.offload import off_loop

MAGIC = 72173914
HEADER = struct.Struct("<IHH16sIIQQQQIIQ")
DIRENT = struct.Struct("<HBcIII")
REDIRECT = 0xFFFF
NONE, ZSTD, XZ = (0, 1), 5, 4
CLUSTER_MAX = 64 * 1024 * 1024  # decompressed; larger clusters are left to libzim
CACHE_BYTES = 32 * 1024 * 1024
DECOMPRESSIONS = 2  # at once in a worker: bounds the transient buffers and the cores taken
DIRENT_READ = 4096


class Unreadable(Exception):
    """This entry's bytes cannot be read here: let libzim read them."""


class ZimFile:
    """The raw layout of one ZIM file: where an entry's blob is, and reading it."""

    def __init__(self, path: Path):
        self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self.close = weakref.finalize(self, os.close, self._fd)  # closed with this object, or by close()
        self.size = os.fstat(self._fd).st_size
        raw = self._pread(HEADER.size, 0)
        if len(raw) < HEADER.size:
            raise Unreadable("short header")
        (magic, major, _minor, _uuid, self.entries, self.clusters, self.path_ptrs, _titles, self.cluster_ptrs,
         _mimes, _main, _layout, self.checksum_pos) = HEADER.unpack(raw)
        if magic != MAGIC or major not in (5, 6):
            raise Unreadable("not a ZIM header")

    def _pread(self, size: int, offset: int) -> bytes:
        if not self.close.alive:
            raise Unreadable("file closed")
        return os.pread(self._fd, size, offset)

    def _u64(self, table: int, index: int) -> int:
        raw = self._pread(8, table + 8 * index)
        if len(raw) != 8:
            raise Unreadable("pointer past the end of the file")
        return struct.unpack("<Q", raw)[0]

    def locate(self, index: int, full_path: str) -> tuple[int, int]:
        """(cluster, blob) of entry `index`, checked to be the entry whose path is `full_path`."""
        if not 0 <= index < self.entries:
            raise Unreadable("entry index out of range")
        raw = self._pread(DIRENT_READ, self._u64(self.path_ptrs, index))
        if len(raw) < DIRENT.size:
            raise Unreadable("short directory entry")
        mime, _param, namespace, _rev, cluster, blob = DIRENT.unpack_from(raw)
        end = raw.find(b"\0", DIRENT.size)
        if mime >= 0xFFFD or end < 0:
            raise Unreadable("not a content entry")
        name = raw[DIRENT.size:end].decode("utf-8", "replace")
        if full_path not in (name, f"{namespace.decode('latin-1')}/{name}") or cluster >= self.clusters:
            raise Unreadable("directory entry does not match")
        return cluster, blob

    def cluster_span(self, cluster: int) -> tuple[int, int]:
        """Start and end offsets of a cluster in the file (the end may include what follows it)."""
        start = self._u64(self.cluster_ptrs, cluster)
        end = self._u64(self.cluster_ptrs, cluster + 1) if cluster + 1 < self.clusters else self.checksum_pos
        end = min(end if end > start else self.size, self.size, start + CLUSTER_MAX + 1)
        if not 0 < start < end:
            raise Unreadable("cluster outside the file")
        return start, end

    def compression(self, cluster: int) -> tuple[int, bool, int, int]:
        """A cluster's codec, whether its offsets are 64-bit, and its span."""
        start, end = self.cluster_span(cluster)
        info = self._pread(1, start)
        if not info:
            raise Unreadable("cluster outside the file")
        return info[0] & 0x0F, bool(info[0] & 0x10), start, end

    def inflate(self, cluster: int) -> bytes:
        """A compressed cluster's data (offset table, then blobs), at most CLUSTER_MAX bytes."""
        codec, _wide, start, end = self.compression(cluster)
        packed = self._pread(end - start - 1, start + 1)
        if codec == ZSTD:
            return _capped_zstd(packed)
        if codec == XZ:
            return _capped_xz(packed)
        raise Unreadable(f"cluster codec {codec}")

    def stored_blob(self, cluster: int, blob: int, wide: bool, start: int, end: int) -> bytes:
        """A blob of an uncompressed cluster, read alone from the file."""
        width = 8 if wide else 4
        table = self._pread(2 * width, start + 1 + blob * width)
        first = self._pread(width, start + 1)
        if len(table) != 2 * width or len(first) != width:
            raise Unreadable("offset table outside the file")
        code = "Q" if wide else "I"
        low, high = struct.unpack("<" + code * 2, table)
        if (blob + 1) * width >= struct.unpack("<" + code, first)[0] or not low <= high <= end - start - 1:
            raise Unreadable("blob outside its cluster")
        data = self._pread(high - low, start + 1 + low)
        if len(data) != high - low:
            raise Unreadable("blob outside the file")
        return data


def _capped_zstd(packed: bytes) -> bytes:
    # one call into one buffer: no streaming window per thread, and only the pages written become
    # resident (a streamed read kept ~8 MB of window and chunk copies per pool thread in malloc's arenas)
    try:
        return zstandard.ZstdDecompressor().decompress(packed, max_output_size=CLUSTER_MAX)
    except zstandard.ZstdError as err:  # damaged, or larger than CLUSTER_MAX
        raise Unreadable(f"zstd: {err}") from None


def _capped_xz(packed: bytes) -> bytes:
    try:
        data = lzma.LZMADecompressor().decompress(packed, max_length=CLUSTER_MAX + 1)
    except lzma.LZMAError as err:
        raise Unreadable(f"xz: {err}") from None
    if len(data) > CLUSTER_MAX:
        raise Unreadable("cluster too large")
    return data


def blob_of(data: bytes, blob: int, wide: bool) -> bytes:
    """Blob number `blob` of a decompressed cluster."""
    width = 8 if wide else 4
    code = "Q" if wide else "I"
    if len(data) < width:
        raise Unreadable("empty cluster")
    table_end = struct.unpack_from("<" + code, data, 0)[0]
    if (blob + 2) * width > min(table_end, len(data)):
        raise Unreadable("no such blob")
    low, high = struct.unpack_from("<" + code * 2, data, blob * width)
    if not table_end <= low <= high <= len(data):
        raise Unreadable("blob outside its cluster")
    return data[low:high]


class _Loading:
    """One decompression that other greenlets wait for."""

    def __init__(self):
        self.done = threading.Event()
        self.data: bytes | None = None
        self.error: BaseException | None = None


class ClusterCache:
    """Decompressed clusters by key, byte-bounded LRU; each cluster decompressed once at a time."""

    def __init__(self, max_bytes: int = CACHE_BYTES, on_evict: Callable[[tuple, bytes], None] | None = None):
        self.max_bytes = max_bytes
        self.on_evict = on_evict  # called with each cluster that leaves, under this cache's lock
        self.size = 0
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._loading: dict[tuple, _Loading] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(DECOMPRESSIONS)

    def get(self, key: tuple, load: Callable[[], bytes]) -> bytes:
        """The cluster at `key`, from the cache or from load() run in the offload pool."""
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
                return data
            loading = self._loading.get(key)
            owner = loading is None
            if owner:
                loading = self._loading[key] = _Loading()
        if not owner:
            loading.done.wait()
            if loading.error is not None:
                raise Unreadable(str(loading.error))
            return loading.data  # type: ignore[return-value]
        try:
            with self._slots:
                loading.data = off_loop(load)
        except BaseException as err:
            loading.error = err
            raise
        finally:
            with self._lock:
                del self._loading[key]
                if loading.data is not None:
                    self._put(key, loading.data)
            loading.done.set()
        return loading.data

    def _put(self, key: tuple, data: bytes) -> None:
        self._items[key] = data
        self.size += len(data)
        while self.size > self.max_bytes:
            old_key, old = self._items.popitem(last=False)
            self.size -= len(old)
            if self.on_evict is not None:
                self.on_evict(old_key, old)


@dataclass(frozen=True)
class Location:
    """Where an entry's bytes are: its cluster, blob number, offset width, codec and the cluster's span."""

    cluster: int
    blob: int
    wide: bool
    compressed: bool
    start: int
    end: int


def locate(raw: ZimFile, index: int, full_path: str) -> Location:
    """The location of entry `index` (path `full_path`); Unreadable when this module cannot read it."""
    cluster, blob = raw.locate(index, full_path)
    codec, wide, start, end = raw.compression(cluster)
    if codec not in NONE and codec not in (ZSTD, XZ):
        raise Unreadable(f"cluster codec {codec}")
    return Location(cluster, blob, wide, codec not in NONE, start, end)


def read_located(raw: ZimFile, key: str, where: Location, cache: ClusterCache) -> bytes:
    """An entry's bytes, read without holding the event loop (a cached cluster is only sliced)."""
    if not where.compressed:
        return off_loop(raw.stored_blob, where.cluster, where.blob, where.wide, where.start, where.end)
    return blob_of(cache.get((key, where.cluster), lambda: raw.inflate(where.cluster)), where.blob, where.wide)
