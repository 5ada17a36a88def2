"""Staged files written with O_DIRECT: the disk gets exactly the hashed bytes, tails and refusals included."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import zipfile

import pytest

from classbox.library import copier, directio, import_path, packs
from classbox.library.store import BlobStore
from tests.library.conftest import FILES, manifest, write_zip

CHUNK = 4 * directio.ALIGN


@pytest.fixture
def writes(monkeypatch):
    """Every os.pwrite, as (offset, length, whether the file bypassed the page cache at that moment)."""
    seen: list[tuple[int, int, bool]] = []
    real = os.pwrite

    def spy(fd, data, offset):
        direct = directio.is_direct(fd)
        n = real(fd, data, offset)
        seen.append((offset, n, direct))
        return n

    monkeypatch.setattr(os, "pwrite", spy)
    return seen


class Dribble(io.RawIOBase):
    """A source that gives at most 1000 bytes per read, as an inflater does."""

    def __init__(self, data: bytes):
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        return self.data.readinto(memoryview(buf)[:1000])


def _copy(tmp_path, stream, **kwargs) -> tuple[str, int, bytes]:
    target = tmp_path / "out.part"
    fd = directio.open_new(target)
    try:
        assert directio.is_direct(fd), "this filesystem refuses O_DIRECT: the test would prove nothing"
        sha, size = copier.copy_hashed(copier.stream_reader(stream), fd, **kwargs)
    finally:
        os.close(fd)
    return sha, size, target.read_bytes()


@pytest.mark.parametrize("length", [0, 1, directio.ALIGN - 1, directio.ALIGN, CHUNK, CHUNK + 1,
                                    5 * CHUNK + directio.ALIGN + 17, 40 * CHUNK])
@pytest.mark.parametrize("source", [io.BytesIO, Dribble])
def test_direct_copy_writes_whole_buffers_directly_and_the_tail_buffered(tmp_path, monkeypatch, writes,
                                                                         length, source):
    monkeypatch.setattr(copier, "CHUNK", CHUNK)
    data = os.urandom(length)
    sha, size, written = _copy(tmp_path, source(data))
    assert (sha, size, written) == (hashlib.sha256(data).hexdigest(), length, data)
    whole = length - length % directio.ALIGN
    assert sum(n for _at, n, direct in writes if direct) == whole
    assert all(at % directio.ALIGN == 0 and n % directio.ALIGN == 0 for at, n, direct in writes if direct)
    assert all(at >= whole for at, _n, direct in writes if not direct)  # only the tail is buffered


def test_a_filesystem_without_o_direct_is_written_buffered(tmp_path, monkeypatch):
    real = os.open

    def refuse(path, flags, mode=0o777):
        if flags & directio.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(path, flags, mode)

    monkeypatch.setattr(os, "open", refuse)
    fd = directio.open_new(tmp_path / "out.part")
    try:
        assert not directio.is_direct(fd)
    finally:
        os.close(fd)
    with pytest.raises(FileExistsError):  # still never overwrites a file
        directio.open_new(tmp_path / "out.part")


def test_a_direct_write_the_filesystem_refuses_goes_on_buffered(tmp_path, monkeypatch):
    monkeypatch.setattr(copier, "CHUNK", CHUNK)
    real = os.pwrite

    def refuse_direct(fd, data, offset):
        if directio.is_direct(fd):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", refuse_direct)
    data = os.urandom(3 * CHUNK + 5)
    assert _copy(tmp_path, io.BytesIO(data)) == (hashlib.sha256(data).hexdigest(), len(data), data)


def test_other_write_errors_still_stop_the_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(copier, "CHUNK", CHUNK)

    def full(fd, data, offset):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    with pytest.raises(OSError, match="No space"):
        _copy(tmp_path, io.BytesIO(os.urandom(3 * CHUNK)))


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_zip_pack_reaches_the_disk_without_the_page_cache_and_whole(lib_config, tmp_path, monkeypatch,
                                                                      writes, compression):
    """With packs.DIRECT_WRITES a big member of a zip pack goes from the import's buffers to the disk,
    not through the page cache (less CPU; packs.py says why it is not the default)."""
    monkeypatch.setattr(copier, "CHUNK", CHUNK)
    monkeypatch.setattr(packs, "DIRECT_WRITES", True)
    film = os.urandom(20 * CHUNK + 333)
    files = {**FILES, "videos/film.mp4": film}
    spec = manifest(resources=[*manifest()["resources"], {"path": "videos/film.mp4", "title": "Film"}])
    assert import_path(lib_config, write_zip(tmp_path / "pack.zip", spec, files, compression=compression)).status \
        == "added"
    assert BlobStore(lib_config.data_dir).path(hashlib.sha256(film).hexdigest()).read_bytes() == film
    assert sum(n for _at, n, direct in writes if direct) >= len(film) - directio.ALIGN
