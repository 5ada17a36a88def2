"""Appends to the answer journal that send the card the sectors a record covers, not a 4 KB page.

A buffered `pwrite` + `fdatasync` writes back the whole page-cache page (4 KB) that holds the
record, at every ack. Written with O_DIRECT, the same append sends only the 512-byte sectors the
record touches (an answer's record is ≈ 0.3 KB: one or two sectors), then `fdatasync` flushes the
card's cache as before: as durable, an eighth of the bytes (docs/performance.md, issue 23). The
first sector of a write also holds the records acked just before in that sector: its bytes are
kept here, so nothing is read back. Where O_DIRECT is refused (a file system without it, a device
whose sectors are larger than the block), the caller's buffered write is used instead.
"""

from __future__ import annotations

import errno
import logging
import mmap
import os
from pathlib import Path

log = logging.getLogger("classbox.storage.journal")
SECTOR_SIZES = (512, 4096)  # tried in this order: the device's logical sector, else the fs block


class SectorAppender:
    """O_DIRECT writes of whole sectors of one journal file (None-returning when unavailable)."""

    def __init__(self, path: Path, block: int) -> None:
        self.block = block
        self.sectors = list(SECTOR_SIZES)
        self._buffer = mmap.mmap(-1, 2 * block)  # page-aligned, as O_DIRECT wants its memory
        self._head_at, self._head = 0, b""  # the file's bytes from the sector start of _head_at to it
        try:
            self._fd: int | None = os.open(path, os.O_WRONLY | os.O_DIRECT | os.O_CLOEXEC)
        except OSError as err:  # tmpfs before Linux 6.6, some FUSE file systems
            log.info("answer journal: no O_DIRECT on %s (%s): page-sized appends", path, err)
            self._fd = None

    def reset(self) -> None:
        """The journal starts again at offset 0 (its bytes zeroed): no sector to carry over."""
        self._head_at, self._head = 0, b""

    def write(self, record: bytes, offset: int) -> bool:
        """Write `record` at `offset` (not synced); False when O_DIRECT cannot (the caller writes it)."""
        if self._fd is None or offset % self.block + len(record) > self.block:
            return False  # a record larger than a block: the rare case, left to the buffered write
        while self.sectors:
            sector = self.sectors[0]
            start = offset - offset % sector
            head = self._head_of(offset, start)
            if head is None:
                return False
            end = -(-(offset + len(record)) // sector) * sector
            data = head + record
            view = memoryview(self._buffer)
            try:
                view[:len(data)] = data
                view[len(data):end - start] = bytes(end - start - len(data))  # beyond: zeros, as on the card
                try:
                    os.pwritev(self._fd, [view[:end - start]], start)
                except OSError as err:
                    if err.errno != errno.EINVAL:
                        raise
                    self.sectors.pop(0)  # not this sector size: the next, or buffered writes
                    continue
            finally:
                view.release()
            tail = offset + len(record)
            self._head_at, self._head = tail, data[tail - tail % sector - start:]
            return True
        self.close()
        return False

    def _head_of(self, offset: int, start: int) -> bytes | None:
        """The bytes between the sector's start and `offset` (records acked before), if known."""
        if offset == start:
            return b""
        if offset == self._head_at and self._head_at - len(self._head) == start:
            return self._head
        return None

    def close(self) -> None:
        """Close the O_DIRECT descriptor (the buffered one stays the caller's)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
