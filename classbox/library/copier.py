"""Copying bytes into the store while hashing them (the threads are in pipeline.py).

A file of less than one buffer is read, hashed and written in the calling thread; a larger one
goes through the pipeline: reading (and inflating), hashing and writing overlap, with two direct
writes in flight where the file was opened with O_DIRECT (directio.py: the disk reads the
buffers), else through the page cache, asking the kernel to start writing as it goes, so the
final fsync waits for the tail only. What is written is exactly what was hashed.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from typing import BinaryIO, Callable

from classbox.library import directio
from classbox.library.pipeline import OverLimit, Pipeline, fill, start_writeback

try:  # ISA-L: CRC-32 at a fourth of zlib's CPU per GB, inflating at half, the same results
    from isal.isal_zlib import crc32, decompressobj
    from isal.isal_zlib import error as InflateError
except ImportError:  # pragma: no cover - platforms without an isal wheel
    from zlib import crc32, decompressobj
    from zlib import error as InflateError

CHUNK = 4 * 1024 * 1024      # bytes per read / write
SLOTS = 4                    # buffers in flight, the first one included (16 MiB)
INFLATE_IN = 1024 * 1024     # compressed bytes read at once

Reader = Callable[[memoryview], int]
__all__ = ["OverLimit", "copy_hashed", "crc32", "InflateError", "file_reader", "inflate_reader", "stream_reader"]


def copy_hashed(read: Reader, fd: int | None, limit: int | None = None, sync: bool = True,
                observe: Callable[[memoryview], None] | None = None) -> tuple[str, int]:
    """Copy everything `read` yields to the open, empty file `fd` (None: only hash), then fsync it.

    With sync=False the disk writes are started but not waited for: the caller fsyncs the file
    later (several files copied back to back, then all fsynced, keep the disk busy throughout).
    `observe` sees every chunk, in order (a zip member's CRC-32). Returns (sha256 hex, size).
    OverLimit when more than `limit` bytes come; an error of the reader (a truncated zip, an I/O
    error) or of the disk (full) is raised in the calling thread, every thread ended.
    """
    head = directio.aligned_buffer(CHUNK)
    n = fill(read, head)
    if limit is not None and n > limit:
        raise OverLimit(f"more data than announced ({n} > {limit} bytes)")
    digest = hashlib.sha256()
    if n < CHUNK:  # small file: one buffer, no thread
        digest.update(head[:n])
        if observe is not None:
            observe(head[:n])
        if fd is not None:
            directio.write_at(fd, head[:n], 0, directio.is_direct(fd))
            start_writeback(fd, 0, 0)
        size = n
    else:
        # the blocks allocated up front: the direct writes into them can run two at a time
        reserved = fd is not None and limit is not None and directio.is_direct(fd) and directio.reserve(fd, limit)
        size = Pipeline(read, fd, head, digest, observe, limit, SLOTS).run()
        if reserved and size < limit:  # a short source: the file holds what came, no more
            os.ftruncate(fd, size)
    if fd is not None and sync:
        os.fsync(fd)
    return digest.hexdigest(), size


def stream_reader(stream: BinaryIO) -> Reader:
    """A Reader over a binary stream (a file opened unbuffered, a zip member, an upload)."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return lambda buf: readinto(buf) or 0

    def read(buf: memoryview) -> int:
        data = stream.read(len(buf))
        buf[:len(data)] = data
        return len(data)

    return read


def file_reader(fd: int, offset: int, length: int) -> Reader:
    """A Reader over `length` bytes of an open file from `offset` (positional reads)."""
    position, end = offset, offset + length

    def read(buf: memoryview) -> int:
        nonlocal position
        want = min(len(buf), end - position)
        if want <= 0:
            return 0
        n = os.preadv(fd, [buf[:want]], position)
        position += n
        return n

    return read


def inflate_reader(fd: int, offset: int, length: int) -> Reader:
    """A Reader of the inflated bytes of `length` bytes of raw deflate data at `offset` of a file.

    Output per call is bounded by the buffer, so a zip bomb cannot blow up memory; the caller's
    limit stops it. The inflater releases the GIL; damaged data raises InflateError.
    """
    position, end = offset, offset + length
    inflater = decompressobj(-zlib.MAX_WBITS)
    pending = b""

    def read(buf: memoryview) -> int:
        nonlocal position, end, pending
        while not inflater.eof:
            if not pending and position < end:
                pending = os.pread(fd, min(INFLATE_IN, end - position), position)
                if not pending:
                    end = position  # the file ends early: a short member is caught by the size check
                position += len(pending)
            # with all input taken, the inflater may still hold output (ISA-L does): ask for it
            out = inflater.decompress(pending, len(buf))
            pending = inflater.unconsumed_tail
            if out:
                buf[:len(out)] = out
                return len(out)
            if not pending and position >= end:
                return 0  # out of input
        return 0

    return read
