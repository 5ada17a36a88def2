"""Copying a byte range of one file into another inside the kernel, then hashing what landed.

For the files of a folder pack and the stored members of a zip: `os.copy_file_range` copies page
cache to page cache without passing the bytes through Python buffers (a third less CPU per GB than
read + write); each piece is then hashed (and its CRC-32 computed) from a read-only mapping of the
destination, so the digest names exactly the bytes stored, even if the source changed meanwhile.
The hash runs in a second thread one piece behind the copy (both release the GIL), so on two
cores the copy, the hash and the disk overlap instead of following each other. The disk writes of
each piece are started as soon as it is hashed, so the final fsync waits for the tail only. Where
the kernel or the filesystem cannot do it, the caller falls back to copier.py.
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
from typing import Callable

from classbox.library.copier import crc32
from classbox.library.pipeline import native, start_writeback

PIECE = 16 * 1024 * 1024  # a multiple of mmap.ALLOCATIONGRANULARITY: every piece maps at its offset
AHEAD = 2                 # pieces the copy may run ahead of the hash
POPULATE = getattr(mmap, "MAP_POPULATE", 0)
PAGE = mmap.PAGESIZE
UNSUPPORTED = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}


class _Hasher:
    """Hashes pieces of `dst` in a native thread, in the order they are handed over.

    Hand-over uses one binary lock per slot (as pipeline.py's): `full` released when a piece
    is ready, `free` released when it is hashed; a piece of length 0 ends the thread. An error
    stops the hashing, not the hand-over, so the copying thread never waits forever."""

    def __init__(self, dst: int, with_crc: bool):
        start, allocate = native()
        self.dst, self.with_crc = dst, with_crc
        self.digest, self.crc = hashlib.sha256(), 0
        self.pieces: list[tuple[int, int]] = [(0, 0)] * AHEAD
        self.free = [allocate() for _ in range(AHEAD)]
        self.full = [allocate() for _ in range(AHEAD)]
        for lock in self.full:
            lock.acquire()
        self.finished = allocate()
        self.finished.acquire()
        self.error: BaseException | None = None
        self.slot = 0
        start(self._run, ())

    def hand(self, offset: int, length: int) -> None:
        """Queue a copied piece (length 0: no more pieces); waits while AHEAD pieces are pending."""
        self.free[self.slot].acquire()
        self.pieces[self.slot] = (offset, length)
        self.full[self.slot].release()
        self.slot = (self.slot + 1) % AHEAD

    def _run(self) -> None:
        """Hash each piece handed over; after an error, keep taking pieces (unhashed) to the end."""
        slot = 0
        try:
            while True:
                self.full[slot].acquire()
                offset, length = self.pieces[slot]
                if not length:
                    return
                if self.error is None:
                    try:
                        self._hash(offset, length)
                    except BaseException as err:  # raised by result() in the copying thread
                        self.error = err
                self.free[slot].release()
                slot = (slot + 1) % AHEAD
        finally:
            self.finished.release()

    def _hash(self, offset: int, length: int) -> None:
        # MAP_POPULATE maps the whole piece at once: a fault per 4 KiB page cost a third of the hash
        with mmap.mmap(self.dst, length, flags=mmap.MAP_SHARED | POPULATE, prot=mmap.PROT_READ,
                       offset=offset) as view:
            self.digest.update(view)
            if self.with_crc:
                self.crc = crc32(view, self.crc)
        start_writeback(self.dst, offset, length)

    def result(self) -> tuple[str, int]:
        """End the thread after the pieces handed so far; (sha256 hex, CRC-32)."""
        self.hand(0, 0)
        self.finished.acquire()
        if self.error is not None:
            raise self.error
        return self.digest.hexdigest(), self.crc

    def abandon(self) -> None:
        """End the thread without waiting for a result (the copy failed)."""
        self.error = self.error or RuntimeError("copy abandoned")
        self.hand(0, 0)
        self.finished.acquire()


def copy_range_hashed(src: int, offset: int, length: int, dst: int, with_crc: bool = True,
                      check: Callable[[], None] | None = None) -> tuple[str, int, int] | None:
    """Copy `length` bytes at `offset` of `src` to the start of the empty file `dst` (opened for
    reading and writing); (sha256 hex, bytes copied, CRC-32 or 0 without `with_crc`) — fewer bytes
    when the source is shorter — or None, `dst` emptied again, where copy_file_range cannot be used
    or would be slower: from an offset that is not page-aligned (a stored zip member's data starts
    after its header) the kernel copies at a third of its aligned speed, slower than read + write.
    `check` is called before every piece: its error stops the copy (another file's copy failed)."""
    if not hasattr(os, "copy_file_range") or offset % PAGE:
        return None
    want = min(PIECE, length)
    try:
        got = _copy_piece(src, offset, dst, 0, want)
    except OSError as err:
        if err.errno in UNSUPPORTED:
            os.ftruncate(dst, 0)
            return None
        raise
    hasher = _Hasher(dst, with_crc)
    try:
        done = 0
        while got and hasher.error is None:
            hasher.hand(done, got)
            done += got
            if got < want or done >= length:
                break
            want = min(PIECE, length - done)
            if check is not None:
                check()
            got = _copy_piece(src, offset + done, dst, done, want)
    except BaseException:
        hasher.abandon()
        raise
    sha, crc = hasher.result()
    return sha, done, crc if with_crc else 0


def _copy_piece(src: int, src_offset: int, dst: int, dst_offset: int, want: int) -> int:
    """copy_file_range until `want` bytes are copied or the source ends; the bytes copied."""
    got = 0
    while got < want:
        n = os.copy_file_range(src, dst, want - got, src_offset + got, dst_offset + got)
        if n == 0:
            break
        got += n
    return got
