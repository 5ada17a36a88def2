"""Two files of a pack copied at once: the same library whatever the number of copies, and a
failure in one file stops the other copies and leaves nothing."""

from __future__ import annotations

import hashlib
import os
import time
import zipfile

import pytest

from classbox.library import PackError, copier, import_path, packs, rangecopy, sidebyside
from classbox.library.store import BlobStore
from classbox.storage import open_database
from tests.library.conftest import library_state, manifest, write_folder, write_zip
from tests.library.test_pipeline import os_threads, threads_back_to

CHUNK = 16 * 1024


@pytest.fixture(autouse=True)
def small_buffers(monkeypatch):
    monkeypatch.setattr(copier, "CHUNK", CHUNK)


def poll(condition, within_s: float = 10.0) -> bool:
    """Whether `condition()` turns true within `within_s` seconds."""
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def films(count: int = 5) -> dict[str, bytes]:
    """Several members of many buffers each (and one of less than a buffer), all different."""
    sizes = [40 * CHUNK + 333, 3 * CHUNK, 1000, 25 * CHUNK + 1, 60 * CHUNK][:count]
    return {f"videos/film-{i}.mp4": os.urandom(size) for i, size in enumerate(sizes)}


def pack_of(files: dict[str, bytes]) -> dict:
    return manifest(resources=[{"path": name, "title": name} for name in files])


def stored_resources(data_dir) -> dict[str, tuple[str, int]]:
    db = open_database(data_dir)
    try:
        return {path: (sha, size) for path, sha, size in db.execute("SELECT path, sha256, size FROM resource")}
    finally:
        db.conn.close()


@pytest.mark.parametrize("form", ["deflated zip", "stored zip", "folder"])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_a_pack_of_several_files_imports_the_same_whatever_the_number_of_copies(lib_config, tmp_path, monkeypatch,
                                                                                workers, form):
    monkeypatch.setattr(sidebyside, "WORKERS", workers)
    files = films()
    if form == "folder":
        pack = write_folder(tmp_path / "pack", pack_of(files), files)
    else:
        pack = write_zip(tmp_path / "pack.zip", pack_of(files), files,
                         compression=zipfile.ZIP_DEFLATED if form == "deflated zip" else zipfile.ZIP_STORED)
    threads = os_threads()
    assert import_path(lib_config, pack).status == "added"
    assert stored_resources(lib_config.data_dir) == {
        name: (hashlib.sha256(data).hexdigest(), len(data)) for name, data in files.items()}
    for name, data in files.items():
        sha = hashlib.sha256(data).hexdigest()
        assert BlobStore(lib_config.data_dir).path(sha).read_bytes() == data, name
    assert threads_back_to(threads)


def test_two_members_of_a_zip_are_copied_at_once(lib_config, tmp_path, monkeypatch):
    """The first film's copy waits until a second film's copy has started: one file at a time
    (the import before) never gets there."""
    monkeypatch.setattr(sidebyside, "WORKERS", 2)
    files = films(2)
    started: list[int] = []
    overlapped = []
    real = packs.inflate_reader

    def watched(fd, offset, length):
        read, number = real(fd, offset, length), len(started)
        started.append(number)

        def first_waits_for_the_second(buf):
            if number == 0 and not overlapped:
                overlapped.append(poll(lambda: len(started) > 1, within_s=5))
            return read(buf)
        return first_waits_for_the_second

    monkeypatch.setattr(packs, "inflate_reader", watched)
    assert import_path(lib_config, write_zip(tmp_path / "pack.zip", pack_of(files), files)).status == "added"
    assert overlapped == [True]
    assert stored_resources(lib_config.data_dir) == {
        name: (hashlib.sha256(data).hexdigest(), len(data)) for name, data in files.items()}


def test_a_corrupt_member_in_the_middle_stops_every_copy_and_leaves_nothing(lib_config, tmp_path, monkeypatch):
    """Pack order: a good film, a damaged one, a long film, another good one. The damaged member
    fails while the long film is being copied beside it: the long film's copy stops at its next
    buffer, the last film is never started, the pack is refused as damaged, the library is as it
    was and every thread of the copies has ended."""
    monkeypatch.setattr(sidebyside, "WORKERS", 2)
    import_path(lib_config, write_folder(tmp_path / "good", manifest(id="deja-la")))
    damaged = bytes(range(256)) * 2000  # compressible: damaged bytes break the deflate stream
    files = {"videos/a.mp4": os.urandom(5 * CHUNK), "videos/abime.mp4": damaged,
             "videos/long.mp4": os.urandom(200 * CHUNK), "videos/z.mp4": os.urandom(6 * CHUNK)}
    path = write_zip(tmp_path / "pack.zip", pack_of(files), files)
    data = bytearray(path.read_bytes())
    start = data.index(b"videos/abime.mp4") + len("videos/abime.mp4") + 40
    data[start:start + 200] = b"\xff" * 200  # not a valid deflate stream
    path.write_bytes(bytes(data))

    with zipfile.ZipFile(path) as zf:
        name_of = {zf.getinfo(name).compress_size: name for name in files}
    batches, read = [], {}
    real_batch, real_reader = packs.Batch, packs.inflate_reader

    def batch(*args):
        batches.append(real_batch(*args))
        return batches[-1]

    def watched(fd, offset, length):
        inner, name = real_reader(fd, offset, length), name_of[length]
        read[name] = 0

        def counting(buf):
            if name == "videos/abime.mp4":  # fails once the long film is being copied
                poll(lambda: read.get("videos/long.mp4", 0) > 0)
            elif name == "videos/long.mp4" and read[name]:  # goes on copying until the failure
                poll(lambda: batches[-1].stopped())
            n = inner(buf)
            read[name] += n
            return n
        return counting

    monkeypatch.setattr(packs, "Batch", batch)
    monkeypatch.setattr(packs, "inflate_reader", watched)
    before, threads = library_state(lib_config.data_dir), os_threads()
    with pytest.raises(PackError, match="damaged|truncated|CRC|more data"):
        import_path(lib_config, path)
    assert library_state(lib_config.data_dir) == before
    assert threads_back_to(threads), f"{os_threads() - threads} threads of the copies still run"
    assert set(read) == {"videos/a.mp4", "videos/abime.mp4", "videos/long.mp4"}, "a file was started after it"
    assert 0 < read["videos/long.mp4"] <= 4 * CHUNK, "the long film's copy went on after the failure"


def test_a_kernel_copy_stops_when_told_and_its_hashing_thread_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(rangecopy, "PIECE", 64 * 1024)
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_bytes(os.urandom(4 * rangecopy.PIECE))
    calls = []

    def stop_at_the_second_piece():
        calls.append(1)
        raise sidebyside.Stopped("another file of the pack could not be copied")

    threads = os_threads()
    src, dst = os.open(source, os.O_RDONLY), os.open(target, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        with pytest.raises(sidebyside.Stopped):
            rangecopy.copy_range_hashed(src, 0, 4 * rangecopy.PIECE, dst, check=stop_at_the_second_piece)
    finally:
        os.close(src)
        os.close(dst)
    assert calls == [1]
    assert threads_back_to(threads)
