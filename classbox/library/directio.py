"""Writing staged files with O_DIRECT: the bytes go from the import's buffers to the disk.

A buffered write copies each byte into the page cache, then the kernel writes the dirty pages
back, and the final fsync waits for the backlog; `cp + sync` pays the same. With O_DIRECT the
disk reads the import's (page-aligned) buffers itself while the next ones are read and hashed: no
copy into the page cache, no dirty backlog, the disk busy from the first buffer on. What reaches
the disk is exactly the buffer that was hashed. The last piece of a file (not a multiple of the
block size) is written through the page cache, and the caller's fsync makes all of it durable.
Where the filesystem refuses O_DIRECT (at open, or at a write), the file is written buffered.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os

ALIGN = 4096  # offsets and lengths of direct writes: the largest logical block size in use
O_DIRECT = getattr(os, "O_DIRECT", 0)


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


def write_all(fd: int, data: memoryview, direct: bool) -> bool:
    """Write `data` at the file's position; returns whether `fd` still writes directly.

    A direct write needs an aligned length (and position, kept by writing aligned lengths only):
    the unaligned tail of the data, or a write the filesystem refuses (EINVAL), goes on buffered."""
    while data:
        piece = data
        if direct and len(data) % ALIGN:
            piece = data[:len(data) - len(data) % ALIGN]
            if not piece:
                go_buffered(fd)
                direct, piece = False, data
        try:
            data = data[os.write(fd, piece):]
        except OSError as err:
            if not (direct and err.errno == errno.EINVAL):
                raise
            go_buffered(fd)
            direct = False
    return direct
