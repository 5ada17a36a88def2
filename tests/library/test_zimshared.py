"""The web workers share decompressed ZIM clusters: one copy per box, the same bytes as libzim, bounded."""

from __future__ import annotations

import os

import httpx
import psutil
from libzim.reader import Archive

from classbox.library import import_path, zimshared
from classbox.library.zimblobs import ZimFile, locate, read_located
from classbox.library.zimshared import SharedClusters, shared_folder
from tests.helpers import LiveServer, make_config, wait_until
from tests.library.conftest import make_zim
from tests.library.test_zim_offloop import make_big_zim
from tests.redis_server import RedisServer


def contents(path) -> list[tuple[str, int, bytes]]:
    """(path, index, libzim's bytes) of every content entry."""
    archive = Archive(path)
    found = []
    for index in range(archive.all_entry_count):
        entry = archive._get_entry_by_id(index)
        if not entry.is_redirect:
            found.append((entry.path, entry._index, bytes(entry.get_item().content)))
    return found


class Counted(ZimFile):
    """A worker's raw reader that counts its decompressions."""

    def __init__(self, path):
        super().__init__(path)
        self.inflated: list[int] = []

    def inflate(self, cluster: int) -> bytes:
        self.inflated.append(cluster)
        return super().inflate(cluster)


def test_a_cluster_one_worker_decompressed_is_read_by_the_other_byte_for_byte(tmp_path):
    path = make_zim(tmp_path / "vikidia.zim", articles=200)
    first, second = Counted(path), Counted(path)  # two workers: their own file, their own shared view
    worker_a, worker_b = SharedClusters(tmp_path / "shm"), SharedClusters(tmp_path / "shm")
    assert worker_a.usable
    entries = contents(path)
    for name, index, expected in entries:
        assert read_located(first, "u", locate(first, index, name), worker_a) == expected
    for name, index, expected in entries:
        assert read_located(second, "u", locate(second, index, name), worker_b) == expected
    assert first.inflated and second.inflated == []  # the second worker never decompressed
    first.close(), second.close()


def test_the_shared_clusters_stay_within_their_bound(tmp_path):
    path = make_big_zim(tmp_path / "gros.zim")
    raw = Counted(path)
    shared = SharedClusters(tmp_path / "shm", max_bytes=5 * 1024 * 1024)  # about two of its 2 MB clusters
    for _ in range(2):
        for name, index, expected in contents(path):
            assert read_located(raw, "u", locate(raw, index, name), shared) == expected
            assert 0 < shared.used_bytes() <= shared.max_bytes
    assert len(raw.inflated) > len(set(raw.inflated))  # what left the folder was decompressed again
    raw.close()


def test_a_damaged_shared_cluster_is_decompressed_again(tmp_path):
    path = make_zim(tmp_path / "vikidia.zim", articles=200)
    raw, shared = Counted(path), SharedClusters(tmp_path / "shm")
    name, index, expected = next(e for e in contents(path) if e[0] == "Animal_7")
    where = locate(raw, index, name)
    assert read_located(raw, "u", where, shared) == expected
    [kept] = list((tmp_path / "shm").iterdir())
    kept.write_bytes(kept.read_bytes()[:100])  # cut short
    assert read_located(raw, "u", where, shared) == expected
    assert len(raw.inflated) == 2 and kept.stat().st_size > 100  # replaced by a whole one
    raw.close()


def test_a_folder_that_others_can_write_is_not_used(tmp_path):
    path = make_zim(tmp_path / "vikidia.zim")
    open_folder = tmp_path / "shm"
    open_folder.mkdir(mode=0o777)
    os.chmod(open_folder, 0o777)
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    for folder in (open_folder, link):
        shared = SharedClusters(folder)
        assert not shared.usable
        raw = ZimFile(path)
        name, index, expected = next(e for e in contents(path) if e[0] == "Animal_3")
        assert read_located(raw, "u", locate(raw, index, name), shared) == expected  # served all the same
        raw.close()
    assert list(open_folder.iterdir()) == [] and list((tmp_path / "elsewhere").iterdir()) == []


def test_two_web_workers_serve_zim_pages_from_one_copy_removed_when_the_service_stops(tmp_path):
    data = tmp_path / "data"
    config = make_config(data, **{"library.min_free_mb": 1})
    book = make_zim(tmp_path / "book.zim", articles=200)
    assert import_path(config, book).status == "added"
    expected = {name: body for name, _, body in contents(book) if name.startswith("Animal_")}
    folder = shared_folder(data)
    with RedisServer(tmp_path / "redis") as redis_server:
        with LiveServer(data, command="web", extra_env={
                "CLASSBOX_WEB_WORKERS": "2", "CLASSBOX_WEB_MESSAGE_QUEUE": redis_server.url}) as server:
            wait_until(lambda: len(psutil.Process(server.proc.pid).children()) == 2, what="two workers")
            for _ in range(3):  # new connections: the kernel spreads them over both workers
                with httpx.Client(base_url=server.url) as client:
                    for name, body in expected.items():
                        response = client.get(f"/zim/vikidia_fr_test/{name}")
                        assert response.status_code == 200 and response.content == body, name
            assert folder.is_dir() and 0 < zimshared.used_bytes(folder) <= zimshared.SHARED_BYTES
            assert (os.stat(folder).st_mode & 0o777) == 0o700
        assert not folder.exists()  # RAM given back with the service
