"""The import's copy pipeline: reading (and inflating), hashing and disk writes overlap.

Native threads share a few page-aligned buffers, each handed on in order: the reader fills a
buffer whole from the source (a zip member's bytes, inflated or not), then the hasher (sha256,
and a zip member's CRC-32) and a writer (to the staging file, at the buffer's offset) both read
it at once; it is refilled only once both are done, so the bytes on disk are the bytes hashed.
Where the file bypasses the page cache (O_DIRECT) two writers keep two writes in flight, so the
disk always has work queued while the next buffers are read and hashed. hashlib, the inflater
and os.pread/os.pwrite release the GIL, so on two cores the stages run side by side.

An error anywhere (a read error, a damaged member, more bytes than announced, a full disk) stops
the reader; every thread then runs on to its end marker without further work, and the first
error is raised in the calling thread once every thread has ended. Threads and locks are the
native ones even under gevent's monkey-patching: this code runs off the event loop.
"""

from __future__ import annotations

import os
from typing import Callable

from classbox.library import directio

WRITERS = 2                  # direct writes in flight
KICK = 16 * 1024 * 1024      # buffered writes: start the disk writes every KICK bytes

Reader = Callable[[memoryview], int]
Observer = Callable[[memoryview], None]


class OverLimit(Exception):
    """The source held more bytes than allowed."""


def native() -> tuple[Callable, Callable]:
    """The OS-level start_new_thread and allocate_lock, even when gevent has patched them."""
    try:
        from gevent import monkey

        start, lock = monkey.get_original("_thread", ["start_new_thread", "allocate_lock"])
    except ImportError:  # pragma: no cover - gevent is a dependency
        import _thread

        start, lock = _thread.start_new_thread, _thread.allocate_lock
    return start, lock


def fill(read: Reader, view: memoryview) -> int:
    """Read until `view` is full or the source ends (an inflater gives less than a buffer per
    call); the number of bytes read."""
    got = 0
    while got < len(view) and (n := read(view[got:])):
        got += n
    return got


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a range of a file to disk now (Linux: FADV_DONTNEED on
    dirty pages starts their writeback without waiting for it); no-op where unsupported."""
    if hasattr(os, "posix_fadvise"):
        try:
            os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass


class Pipeline:
    """One file's copy: `head` (a full first buffer, already read) then the rest of `read`."""

    def __init__(self, read: Reader, fd: int | None, head: memoryview, digest, observe: Observer | None,
                 limit: int | None, slots: int):
        self.read, self.fd, self.digest, self.observe, self.limit = read, fd, digest, observe, limit
        self.chunk = len(head)
        self.direct = fd is not None and directio.is_direct(fd)
        self.writers = WRITERS if self.direct else 1
        # every slot always goes to the same writer (a multiple of the writers): one consumer per lock
        slots = -(-max(slots, self.writers + 2) // self.writers) * self.writers
        start, allocate = native()
        self.buffers = [head] + [directio.aligned_buffer(self.chunk) for _ in range(slots - 1)]
        self.lengths = [self.chunk] + [0] * (slots - 1)
        # one binary lock per slot and stage: "free" held while the slot is filled or in use,
        # "ready" released once the reader filled it
        self.hash_free, self.write_free, self.hash_ready, self.write_ready = (
            [allocate() for _ in range(slots)] for _stage in range(4))
        for lock in (*self.hash_ready[1:], *self.write_ready[1:], self.hash_free[0], self.write_free[0]):
            lock.acquire()
        self.size = self.chunk
        self.error: BaseException | None = None
        self.tail: tuple[int, bytes] | None = None
        self.positions = list(range(self.writers))  # each writer's next slot number
        self.ended = []
        for run, args in [(self._read_all, ()), (self._hash_all, ())] + \
                [(self._write_all, (k,)) for k in range(1, self.writers)]:
            done = allocate()
            done.acquire()
            self.ended.append(done)
            start(self._thread, (run, args, done))

    def _thread(self, run: Callable, args: tuple, done) -> None:
        try:
            run(*args)
        finally:
            done.release()

    def fail(self, err: BaseException) -> None:
        """Keep the first error; the reader stops at its next buffer."""
        if self.error is None:
            self.error = err

    def _read_all(self) -> None:
        """Fill the slots in turn; after the last data, one end marker (length 0) per writer."""
        seq, count, markers, ending = 1, len(self.buffers), 0, False
        while markers < self.writers:
            slot = seq % count
            self.hash_free[slot].acquire()
            self.write_free[slot].acquire()
            length = 0
            if not ending and self.error is None:
                try:
                    length = self._fill(self.buffers[slot])
                except BaseException as err:  # raised in the caller
                    self.fail(err)
                    length = 0
            self.lengths[slot] = length
            self.hash_ready[slot].release()
            self.write_ready[slot].release()
            ending = ending or length < self.chunk
            markers += length == 0
            seq += 1

    def _fill(self, view: memoryview) -> int:
        """Fill `view` (less at the end of the source): full buffers keep direct writes aligned.
        Past `limit`, OverLimit before the buffer goes on to the hash and the disk."""
        n = fill(self.read, view)
        self.size += n
        if self.limit is not None and self.size > self.limit:
            raise OverLimit("more data than announced")
        return n

    def _hash_all(self) -> None:
        """Hash the slots in order, up to the last data or the first marker."""
        seq, count = 0, len(self.buffers)
        while True:
            slot = seq % count
            self.hash_ready[slot].acquire()
            length = self.lengths[slot]
            if length and self.error is None:
                try:
                    data = self.buffers[slot][:length]
                    self.digest.update(data)
                    if self.observe is not None:
                        self.observe(data)
                except BaseException as err:
                    self.fail(err)
            self.hash_free[slot].release()
            if length < self.chunk:
                return
            seq += 1

    def _write_all(self, writer: int) -> None:
        """Write every `writers`-th slot from this writer's position, up to the last data or a marker."""
        seq, count, kicked = self.positions[writer], len(self.buffers), 0
        while True:
            slot = seq % count
            self.positions[writer] = seq  # where the calling thread resumes after an interrupt
            self.write_ready[slot].acquire()
            length = self.lengths[slot]
            if length and self.error is None and self.fd is not None:
                try:
                    self._write(self.buffers[slot][:length], seq * self.chunk)
                    end = seq * self.chunk + length
                    if not self.direct and end - kicked >= KICK:
                        start_writeback(self.fd, kicked, end - kicked)
                        kicked = end
                except BaseException as err:
                    self.fail(err)
            self.write_free[slot].release()
            if length < self.chunk:
                return
            seq += self.writers

    def _write(self, data: memoryview, offset: int) -> None:
        aligned = len(data) - len(data) % directio.ALIGN if self.direct else len(data)
        if aligned < len(data):  # the file's unaligned tail: written buffered once the writers end
            self.tail = (offset + aligned, bytes(data[aligned:]))
        if aligned:
            self.direct = directio.write_at(self.fd, data[:aligned], offset, self.direct)

    def run(self) -> int:
        """Write in the calling thread too, wait for every thread, raise the first error; the size."""
        while True:
            try:
                self._write_all(0)
                break
            except BaseException as err:  # an interrupt while waiting: stop the others, go on to the end
                self.fail(err)
        for done in self.ended:
            done.acquire()
        if self.error is not None:
            raise self.error
        if self.tail is not None:
            directio.write_at(self.fd, memoryview(self.tail[1]), self.tail[0], self.direct)
        if self.fd is not None:
            start_writeback(self.fd, 0, 0)
        return self.size
