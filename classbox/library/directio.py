"""Writing staged files with O_DIRECT (optional: packs.DIRECT_WRITES) and positional writes.

With O_DIRECT the disk reads the import's (page-aligned) buffers itself: no copy into the page
cache, no dirty backlog, a third less CPU per GB. On the shared VM of docs/performance.md the
kernel's writeback of buffered writes still kept the disk busier, so zip members go through the
page cache by default. What reaches the disk is exactly the buffer that was hashed. The last
piece of a file (not a multiple of the block size) is written through the page cache, and the
caller's fsync makes all of it durable. Where the filesystem refuses O_DIRECT (at open, or at a
write), the file is written buffered.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import mmap
import os

ALIGN = 4096  # offsets and lengths of direct writes: the largest logical block size in use
O_DIRECT = getattr(os, "O_DIRECT", 0)
_LIBC = ctypes.CDLL(None, use_errno=True)
_FALLOCATE = getattr(_LIBC, "fallocate", None)
if _FALLOCATE is not None:
    _FALLOCATE.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]


def open_new(path: os.PathLike | str) -> int:
    """Create `path` for reading and writing, with O_DIRECT where the filesystem allows it."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL
    if O_DIRECT:
        try:
            return os.open(path, flags | O_DIRECT, 0o600)
        except OSError as err:
            if err.errno != errno.EINVAL:  # EINVAL: this filesystem has no O_DIRECT
                raise
    return os.open(path, flags, 0o600)


def is_direct(fd: int) -> bool:
    """Whether writes to `fd` bypass the page cache."""
    return bool(O_DIRECT) and bool(fcntl.fcntl(fd, fcntl.F_GETFL) & O_DIRECT)


def go_buffered(fd: int) -> None:
    """Write the rest of `fd` through the page cache."""
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~O_DIRECT)


def aligned_buffer(size: int) -> memoryview:
    """A zeroed buffer of `size` bytes starting on a page boundary (anonymous mapping)."""
    return memoryview(mmap.mmap(-1, size))


def reserve(fd: int, size: int) -> bool:
    """Allocate `size` bytes for the empty file `fd` and set its length (fallocate(2), never
    glibc's emulation that writes zeros); whether it was done. With the blocks allocated, ext4
    lets several direct writes into the file run at once (writes that extend a file take turns).
    ENOSPC is raised: the disk is full before a byte is copied."""
    if _FALLOCATE is None or size <= 0:
        return False
    if _FALLOCATE(fd, 0, 0, size) == 0:
        return True
    err = ctypes.get_errno()
    if err == errno.ENOSPC:
        raise OSError(err, os.strerror(err))
    return False  # EOPNOTSUPP and the like: written as it comes


def write_at(fd: int, data: memoryview, offset: int, direct: bool) -> bool:
    """Write `data` at `offset` (positional: several threads write one file at once); returns
    whether `fd` still writes directly. `offset` is aligned wherever `direct` is; an unaligned
    length (the tail of a file) or a direct write the filesystem refuses (EINVAL) goes on buffered."""
    while data:
        piece = data
        if direct and len(data) % ALIGN:
            piece = data[:len(data) - len(data) % ALIGN]
            if not piece:
                go_buffered(fd)
                direct, piece = False, data
        try:
            n = os.pwrite(fd, piece, offset)
        except OSError as err:
            if not (direct and err.errno == errno.EINVAL):
                raise
            go_buffered(fd)
            direct = False
            continue
        data, offset = data[n:], offset + n
    return direct
