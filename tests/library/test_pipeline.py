"""The import's pipeline: two direct writes in flight, and every failure mid-copy leaves nothing behind.

A zip member of many buffers goes through the reader, the hasher and two writers at once; a read
error, a hash mismatch or a full disk in the middle must refuse the pack with the library as it
was, every thread of the copy ended (and, by the suite's guard, no descriptor left open).
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import threading
import time
import zipfile

import pytest

from classbox.library import PackError, copier, directio, import_path, packs
from tests.library.conftest import FILES, library_state, manifest, write_folder, write_zip

CHUNK = 4 * directio.ALIGN
FILM = 40 * CHUNK + 333  # many buffers, and an unaligned tail


@pytest.fixture(autouse=True)
def small_buffers(monkeypatch):
    monkeypatch.setattr(copier, "CHUNK", CHUNK)


def os_threads() -> int:
    """This process's threads, native ones included (the pipeline's are not in `threading`)."""
    return len(os.listdir("/proc/self/task"))


def threads_back_to(count: int, within_s: float = 5.0) -> bool:
    """Whether the process is back to `count` threads (a thread ends a moment after its last work)."""
    deadline = time.monotonic() + within_s
    while os_threads() > count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _direct_copy(tmp_path, data: bytes) -> tuple[str, int, bytes]:
    target = tmp_path / "out.part"
    fd = directio.open_new(target)
    try:
        assert directio.is_direct(fd), "this filesystem refuses O_DIRECT: the test would prove nothing"
        sha, size = copier.copy_hashed(copier.stream_reader(io.BytesIO(data)), fd, len(data))
    finally:
        os.close(fd)
    return sha, size, target.read_bytes()


def test_two_direct_writes_are_in_flight_and_may_finish_out_of_order(tmp_path, monkeypatch):
    """The first write is held until another write has finished: the disk gets the next write
    while one is pending, and the file is still whole and in order."""
    entered, other_done = [], threading.Event()

    def hold_the_first(real):
        def write(fd, data, *offset):
            first = not entered
            entered.append(len(data))
            if first:
                assert other_done.wait(10), "no second write ran while the first was in flight"
            n = real(fd, data, *offset)
            if not first:
                other_done.set()
            return n
        return write

    monkeypatch.setattr(os, "write", hold_the_first(os.write))
    monkeypatch.setattr(os, "pwrite", hold_the_first(os.pwrite))
    data = os.urandom(FILM)
    assert _direct_copy(tmp_path, data) == (hashlib.sha256(data).hexdigest(), FILM, data)


def test_a_short_source_leaves_no_preallocated_bytes(tmp_path):
    """The file is allocated to the announced size up front; a source that ends early leaves the
    bytes it gave, not zeros after them (the caller then refuses the size)."""
    data = os.urandom(FILM)
    target = tmp_path / "out.part"
    fd = directio.open_new(target)
    try:
        sha, size = copier.copy_hashed(copier.stream_reader(io.BytesIO(data)), fd, FILM + 10 * CHUNK)
    finally:
        os.close(fd)
    assert (sha, size, target.read_bytes()) == (hashlib.sha256(data).hexdigest(), FILM, data)


def _film_pack(tmp_path, compression, sha256: str | None = None):
    film = os.urandom(FILM)
    entry = {"path": "videos/film.mp4", "title": "Film"}
    if sha256:
        entry["sha256"] = sha256
    spec = manifest(resources=[*manifest()["resources"], entry])
    return write_zip(tmp_path / "pack.zip", spec, {**FILES, "videos/film.mp4": film}, compression=compression), film


@pytest.fixture(params=[False, True], ids=["page cache", "O_DIRECT"])
def library(lib_config, tmp_path, monkeypatch, request):
    """A library holding another pack already (imported before any fault is injected); zip
    members staged through the page cache (one writer) or with O_DIRECT (two writers)."""
    import_path(lib_config, write_folder(tmp_path / "good", manifest(id="deja-la")))
    monkeypatch.setattr(packs, "DIRECT_WRITES", request.param)
    return lib_config


def _refused_cleanly(lib_config, pack, match: str) -> None:
    """The import fails with `match`, the library unchanged, every thread of the copy ended."""
    before, threads = library_state(lib_config.data_dir), os_threads()
    with pytest.raises(PackError, match=match):
        import_path(lib_config, pack)
    assert library_state(lib_config.data_dir) == before
    assert threads_back_to(threads), f"{os_threads() - threads} threads of the copy still run"


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_read_error_mid_member_refuses_the_pack_and_leaves_nothing(library, tmp_path, monkeypatch, compression):
    """The film is the zip's last member: reads past the first third of its data fail (a USB stick
    pulled out halfway through the copy)."""
    pack, _film = _film_pack(tmp_path, compression)
    broken_from = pack.stat().st_size - 2 * FILM // 3
    monkeypatch.setattr(copier, "INFLATE_IN", 8192)  # the compressed film read in many pieces

    def failing(real):
        def read(fd, what, offset):
            if offset >= broken_from:
                raise OSError(errno.EIO, "Input/output error")
            return real(fd, what, offset)
        return read

    monkeypatch.setattr(os, "preadv", failing(os.preadv))
    monkeypatch.setattr(os, "pread", failing(os.pread))
    _refused_cleanly(library, pack, "Input/output error")


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_member_that_is_not_the_announced_file_leaves_nothing(library, tmp_path, compression):
    pack, _film = _film_pack(tmp_path, compression, sha256="0" * 64)
    _refused_cleanly(library, pack, "sha256 mismatch")


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_disk_full_mid_member_stops_the_copy_says_so_and_leaves_nothing(library, tmp_path, monkeypatch,
                                                                           compression):
    pack, _film = _film_pack(tmp_path, compression)
    written, hashed = [], []

    def full_after_five(real):
        def write(fd, data, *offset):
            if len(written) >= 5:
                raise OSError(errno.ENOSPC, "No space left on device")
            written.append(len(data))
            return real(fd, data, *offset)
        return write

    real_sha256 = hashlib.sha256

    class CountingSha256:
        """Counts the bytes hashed: the reader must stop soon after the disk is full."""

        def __init__(self, data=b""):
            self.inner = real_sha256(data)

        def update(self, data):
            hashed.append(len(data))
            self.inner.update(data)

        def hexdigest(self):
            return self.inner.hexdigest()

    monkeypatch.setattr(os, "write", full_after_five(os.write))
    monkeypatch.setattr(os, "pwrite", full_after_five(os.pwrite))
    monkeypatch.setattr(copier.hashlib, "sha256", CountingSha256)
    _refused_cleanly(library, pack, "disk is full")
    assert sum(hashed) < FILM // 2  # the rest of the member was not read into nowhere
