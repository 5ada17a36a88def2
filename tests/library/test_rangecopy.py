"""The kernel copy of folder files and stored zip members: the digest names the bytes that landed."""

from __future__ import annotations

import errno
import hashlib
import os
import zlib

import pytest

from classbox.library import rangecopy
from tests.helpers import make_config


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(rangecopy, "PIECE", 64 * 1024)  # a multiple of the mapping granularity


def files(tmp_path, data: bytes) -> tuple[int, int]:
    (tmp_path / "src").write_bytes(data)
    return os.open(tmp_path / "src", os.O_RDONLY), os.open(tmp_path / "dst", os.O_RDWR | os.O_CREAT, 0o600)


@pytest.mark.parametrize("offset, length", [(0, 0), (0, 1), (0, 64 * 1024), (4096, 64 * 1024 * 3 + 5), (8192, 300_000)])
def test_a_range_is_copied_hashed_and_crc_checked(tmp_path, small_pieces, offset, length):
    data = os.urandom(offset + length + 11)
    src, dst = files(tmp_path, data)
    try:
        sha, size, crc = rangecopy.copy_range_hashed(src, offset, length, dst)
    finally:
        os.close(src), os.close(dst)
    part = data[offset:offset + length]
    assert (sha, size, crc) == (hashlib.sha256(part).hexdigest(), length, zlib.crc32(part))
    assert (tmp_path / "dst").read_bytes() == part


def test_an_unaligned_range_is_left_to_read_and_write(tmp_path, small_pieces):
    """A stored zip member's data starts after its header: the kernel copies it at a third of its
    aligned speed, slower than copier.py's read + write, so the caller is told to use that."""
    src, dst = files(tmp_path, os.urandom(200_000))
    try:
        assert rangecopy.copy_range_hashed(src, 17, 100_000, dst) is None
    finally:
        os.close(src), os.close(dst)
    assert (tmp_path / "dst").read_bytes() == b""


def test_a_source_shorter_than_announced_copies_what_there_is(tmp_path, small_pieces):
    data = os.urandom(100_000)
    src, dst = files(tmp_path, data)
    try:
        sha, size, _crc = rangecopy.copy_range_hashed(src, 0, 200_000, dst)
    finally:
        os.close(src), os.close(dst)
    assert (sha, size) == (hashlib.sha256(data).hexdigest(), 100_000)


def test_where_the_kernel_cannot_copy_the_caller_is_told_and_the_file_is_empty(tmp_path, monkeypatch):
    def unsupported(*args):
        raise OSError(errno.EXDEV, "cross-device")
    monkeypatch.setattr(os, "copy_file_range", unsupported)
    src, dst = files(tmp_path, b"abc")
    try:
        assert rangecopy.copy_range_hashed(src, 0, 3, dst) is None
    finally:
        os.close(src), os.close(dst)
    assert (tmp_path / "dst").read_bytes() == b""


def test_a_pack_imports_the_same_whichever_way_its_files_are_copied(tmp_path, monkeypatch):
    """Folder and stored zip, with and without copy_file_range: same blobs, same catalogue."""
    import zipfile

    from classbox.library import import_path
    from classbox.library.store import BlobStore
    from tests.library.conftest import manifest, write_folder, write_zip

    results = []
    for kernel in (True, False):
        if not kernel:
            monkeypatch.setattr(rangecopy.os, "copy_file_range",
                                lambda *a: (_ for _ in ()).throw(OSError(errno.ENOSYS, "no")))
        for form in ("folder", "zip"):
            data = tmp_path / f"data-{kernel}-{form}"
            config = make_config(data, **{"library.min_free_mb": 1})
            source = write_folder(tmp_path / f"f-{kernel}", manifest()) if form == "folder" else \
                write_zip(tmp_path / f"z-{kernel}.zip", manifest(), compression=zipfile.ZIP_STORED)
            assert import_path(config, source).status == "added"
            store = BlobStore(data)
            results.append(sorted((sha, path.read_bytes()) for sha, path in store.iter_blobs()))
    assert all(r == results[0] for r in results) and len(results[0]) == 3
    assert all(hashlib.sha256(content).hexdigest() == sha for sha, content in results[0])


def test_a_failure_of_the_hashing_thread_reaches_the_caller(tmp_path, small_pieces, monkeypatch):
    """The hash runs in its own thread: its error is raised by the copy, which does not hang."""
    def broken(*args, **kwargs):
        raise OSError(errno.ENOMEM, "no mapping")
    monkeypatch.setattr(rangecopy.mmap, "mmap", broken)
    src, dst = files(tmp_path, os.urandom(64 * 1024 * 5))
    try:
        with pytest.raises(OSError, match="no mapping"):
            rangecopy.copy_range_hashed(src, 0, 64 * 1024 * 5, dst)
    finally:
        os.close(src), os.close(dst)


def test_a_copy_failing_halfway_stops_the_hashing_thread_and_raises(tmp_path, small_pieces, monkeypatch):
    real, calls = os.copy_file_range, []

    def fails_on_the_third_piece(*args):
        calls.append(args)
        if len(calls) == 3:
            raise OSError(errno.EIO, "disk error")
        return real(*args)
    monkeypatch.setattr(rangecopy.os, "copy_file_range", fails_on_the_third_piece)
    src, dst = files(tmp_path, os.urandom(64 * 1024 * 5))
    try:
        with pytest.raises(OSError, match="disk error"):
            rangecopy.copy_range_hashed(src, 0, 64 * 1024 * 5, dst)
    finally:
        os.close(src), os.close(dst)
