"""The import's copy engine: what is written is what was hashed; errors on either side stop both."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import zlib

import pytest

from classbox.library import copier, pipeline


@pytest.fixture(autouse=True)
def small_buffers(monkeypatch):
    """Tiny buffers so that a few KB go through the ring many times over."""
    monkeypatch.setattr(copier, "CHUNK", 1024)
    monkeypatch.setattr(pipeline, "KICK", 4096)


def _copy(tmp_path, data: bytes, **kwargs) -> tuple[str, int, bytes]:
    target = tmp_path / "out.part"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        sha, size = copier.copy_hashed(copier.stream_reader(io.BytesIO(data)), fd, **kwargs)
    finally:
        os.close(fd)
    return sha, size, target.read_bytes()


@pytest.mark.parametrize("length", [0, 1, 1023, 1024, 1025, 4096 * 3 + 17, 100_000])
def test_copy_writes_and_hashes_the_same_bytes(tmp_path, length):
    data = os.urandom(length)
    sha, size, written = _copy(tmp_path, data)
    assert (sha, size, written) == (hashlib.sha256(data).hexdigest(), length, data)


def test_hash_only_writes_nothing():
    data = os.urandom(50_000)
    assert copier.copy_hashed(copier.stream_reader(io.BytesIO(data)), None) == \
        (hashlib.sha256(data).hexdigest(), 50_000)


@pytest.mark.parametrize("length", [500, 50_000])
def test_more_than_the_limit_is_refused(tmp_path, length):
    with pytest.raises(copier.OverLimit):
        _copy(tmp_path, os.urandom(length), limit=length - 1)


class FailingStream(io.RawIOBase):
    """A source that breaks after `good` bytes (a truncated zip, a USB stick pulled out)."""

    def __init__(self, good: int):
        self.left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        if self.left <= 0:
            raise OSError("device went away")
        n = min(len(buf), self.left)
        buf[:n] = b"x" * n
        self.left -= n
        return n


@pytest.mark.parametrize("good", [10, 30_000])
def test_a_reader_error_reaches_the_caller_and_no_thread_is_left(tmp_path, good):
    before = threading.active_count()
    fd = os.open(tmp_path / "out.part", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with pytest.raises(OSError, match="device went away"):
            copier.copy_hashed(copier.stream_reader(FailingStream(good)), fd)
    finally:
        os.close(fd)
    assert threading.active_count() == before


def test_a_writer_error_stops_the_reader(tmp_path):
    read_fd = os.open(tmp_path / "ro", os.O_RDONLY | os.O_CREAT, 0o600)  # writing to it fails
    source = io.BytesIO(os.urandom(200_000))
    try:
        with pytest.raises(OSError):
            copier.copy_hashed(copier.stream_reader(source), read_fd)
    finally:
        os.close(read_fd)
    # the reader stopped early instead of reading the whole source into nowhere
    assert source.tell() < 200_000


@pytest.mark.parametrize("size", [5000, 328_013])
@pytest.mark.parametrize("buffer", [1000, 4096, 65536])
def test_a_deflated_member_is_inflated_whole_whatever_the_buffer(tmp_path, size, buffer):
    """With all its input taken, an inflater (ISA-L's) can still hold output: it is asked for it
    instead of the member being cut short (an honest pack refused as truncated)."""
    data = os.urandom(size)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = compressor.compress(data) + compressor.flush()
    (tmp_path / "member").write_bytes(b"head" + raw + b"tail")
    fd = os.open(tmp_path / "member", os.O_RDONLY)
    try:
        read = copier.inflate_reader(fd, 4, len(raw))
        view, out = memoryview(bytearray(buffer)), bytearray()
        while n := read(view):
            out += view[:n]
    finally:
        os.close(fd)
    assert out == data
