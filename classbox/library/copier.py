"""Copying bytes into the store while hashing them: one thread reads and hashes, the caller writes.

The reading thread fills a ring of buffers and hashes each one (hashlib and file reads release
the GIL); the calling thread writes the same buffers to the destination: with O_DIRECT where the
file was opened so (directio.py: the disk reads the buffers), else through the page cache, asking
the kernel to start writing them to disk as it goes, so the final fsync waits for the tail only
instead of the whole file. What is written is exactly what was hashed. Threads and locks are the native ones
even under gevent's monkey-patching: this code runs off the event loop, in a real thread.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from typing import BinaryIO, Callable, Iterator

from classbox.library import directio

try:  # ISA-L: CRC-32 at a fourth of zlib's CPU per GB, inflating at half, the same results
    from isal.isal_zlib import crc32, decompressobj
    from isal.isal_zlib import error as InflateError
except ImportError:  # pragma: no cover - platforms without an isal wheel
    from zlib import crc32, decompressobj
    from zlib import error as InflateError

CHUNK = 4 * 1024 * 1024      # bytes per read / write
SLOTS = 4                    # buffers in flight (16 MiB)
KICK = 16 * 1024 * 1024      # start the disk writes every KICK bytes
INFLATE_IN = 1024 * 1024     # compressed bytes read at once

Reader = Callable[[memoryview], int]


class OverLimit(Exception):
    """The source held more bytes than allowed."""


def _native() -> tuple[Callable, Callable]:
    """The OS-level start_new_thread and allocate_lock, even when gevent has patched them."""
    try:
        from gevent import monkey

        start, lock = monkey.get_original("_thread", ["start_new_thread", "allocate_lock"])
    except ImportError:  # pragma: no cover - gevent is a dependency
        import _thread

        start, lock = _thread.start_new_thread, _thread.allocate_lock
    return start, lock


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a range of a file to disk now (Linux: FADV_DONTNEED on
    dirty pages starts their writeback without waiting for it); no-op where unsupported."""
    if hasattr(os, "posix_fadvise"):
        try:
            os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass


class _Ring:
    """Buffers handed from the reading thread to the writing one (binary semaphores per slot)."""

    def __init__(self, read: Reader, digest, limit: int | None):
        start, allocate = _native()
        self.read, self.digest, self.limit = read, digest, limit
        self.buffers = [directio.aligned_buffer(CHUNK) for _ in range(SLOTS)]
        self.lengths = [0] * SLOTS
        self.free = [allocate() for _ in range(SLOTS)]   # held while a slot is filled or written
        self.full = [allocate() for _ in range(SLOTS)]   # released when a slot is ready to write
        for lock in self.full:
            lock.acquire()
        self.size = 0
        self.error: BaseException | None = None
        self.cancelled = self.done = self.holding = False
        self.slot = 0  # the writer's position
        start(self._produce, ())

    def _produce(self) -> None:
        slot = 0
        while True:
            self.free[slot].acquire()
            n = 0
            try:
                if not self.cancelled:
                    n = self._fill_hashed(self.buffers[slot])
            except BaseException as err:  # handed to the writer, raised there
                self.error, n = err, -1
            self.lengths[slot] = n
            self.full[slot].release()
            if n <= 0:
                return
            slot = (slot + 1) % SLOTS

    def _fill_hashed(self, view: memoryview) -> int:
        """Fill `view` (less at the end of the source) and hash it: full buffers keep direct writes
        aligned, and a zip member's inflater gives less than a buffer per call."""
        n = 0
        while n < len(view) and (got := self.read(view[n:])):
            self.size += got
            if self.limit is not None and self.size > self.limit:
                raise OverLimit("more data than announced")
            self.digest.update(view[n:n + got])
            n += got
        return n

    def chunks(self) -> Iterator[memoryview]:
        """Each filled buffer in order; the reader's error is raised where it happened."""
        while True:
            self.full[self.slot].acquire()
            self.holding = True
            n = self.lengths[self.slot]
            if n <= 0:
                self.done = True
                if n < 0:
                    raise self.error  # type: ignore[misc]
                return
            yield self.buffers[self.slot][:n]
            self.free[self.slot].release()
            self.holding = False
            self.slot = (self.slot + 1) % SLOTS

    def close(self) -> None:
        """Stop the reader if it still runs (the writer failed) and wait for its end marker."""
        if self.done:
            return
        self.cancelled = True
        slot = self.slot
        if not self.holding:
            self.full[slot].acquire()
        while self.lengths[slot] > 0:
            self.free[slot].release()
            slot = (slot + 1) % SLOTS
            self.full[slot].acquire()
        self.done = True


def _fill(read: Reader, view: memoryview) -> int:
    """Read until `view` is full or the source ends; the number of bytes read."""
    got = 0
    while got < len(view) and (n := read(view[got:])):
        got += n
    return got


def copy_hashed(read: Reader, fd: int | None, limit: int | None = None, sync: bool = True,
                observe: Callable[[memoryview], None] | None = None) -> tuple[str, int]:
    """Copy everything `read` yields to the open file `fd` (None: only hash), then fsync it.

    With sync=False the disk writes are started but not waited for: the caller fsyncs the file
    later (several files copied back to back, then all fsynced, keep the disk busy throughout).
    `observe` sees every chunk in the writing thread (a zip member's CRC-32, off the reader's back).
    Returns (sha256 hex, size). OverLimit when more than `limit` bytes come; an error of the
    reader (a truncated zip, an I/O error) is raised in the calling thread.
    """
    head = directio.aligned_buffer(CHUNK)
    n = _fill(read, head)
    if limit is not None and n > limit:
        raise OverLimit(f"more data than announced ({n} > {limit} bytes)")
    digest = hashlib.sha256(head[:n])
    size = n
    if n < CHUNK:  # small file: one buffer, no thread
        if observe is not None:
            observe(head[:n])
        if fd is not None and not directio.write_all(fd, head[:n], directio.is_direct(fd)):
            start_writeback(fd, 0, 0)
    else:
        ring = _Ring(read, digest, None if limit is None else limit - n)
        try:
            _write_chunks(fd, _chain(head, ring.chunks()), observe)
        finally:
            ring.close()
        size += ring.size
    if fd is not None and sync:
        os.fsync(fd)
    return digest.hexdigest(), size


def _write_chunks(fd: int | None, chunks: Iterator[memoryview],
                  observe: Callable[[memoryview], None] | None) -> None:
    """Write the chunks: straight to the disk where `fd` is direct, else starting the disk writes
    every KICK bytes."""
    written = kicked = 0
    direct = fd is not None and directio.is_direct(fd)
    for data in chunks:
        if observe is not None:
            observe(data)
        if fd is None:
            continue
        direct = directio.write_all(fd, data, direct)
        written += len(data)
        if not direct and written - kicked >= KICK:
            start_writeback(fd, kicked, written - kicked)
            kicked = written
    if fd is not None:
        start_writeback(fd, kicked, 0)


def _chain(head: memoryview, rest: Iterator[memoryview]) -> Iterator[memoryview]:
    yield head
    yield from rest


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
