"""ZIM contents are read off the worker's event loop: a cold page never stops the others."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from libzim.reader import Archive
from libzim.writer import Creator

from classbox.library import import_path, zimblobs
from classbox.library.zim import BookRegistry
from classbox.library.zimblobs import ClusterCache, Unreadable, ZimFile, locate, read_located
from classbox.library.zimread import EntryCache, read_entry
from tests.library.conftest import Article, make_zim

WORDS = "forêt rivière montagne éléphant volcan planète énergie climat océan histoire".split()


def make_big_zim(path: Path) -> Path:
    """A ZIM with a small page and, in other clusters, a few pages of several MB each."""
    rng = random.Random(7)
    block = [rng.choice(WORDS) for _ in range(50_000)]
    with Creator(str(path)) as creator:
        creator.set_mainpath("Petit")
        creator.add_item(Article("Petit", "Petit", "<html><body>Une petite page</body></html>"))
        for i in range(3):
            rng.shuffle(block)
            text = " ".join(block * 6)  # about 2 MB
            creator.add_item(Article(f"Gros_{i}", f"Gros {i}", f"<html><body><p>{text}</p></body></html>"))
        for key, value in {"Name": "gros_fr", "Title": "Gros", "Language": "fra"}.items():
            creator.add_metadata(key, value)
    return path


# A gevent-patched process, as in a gunicorn gevent worker: one greenlet asks for a big page whose
# cluster nobody has read yet, then another asks for a page already served. The order in which
# they are answered says whether the first one's decompression held the event loop.
UNDER_GEVENT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import os, sys
    import gevent
    from classbox import create_app
    from classbox.config import load_config
    from classbox.library import zimblobs

    app = create_app(load_config(path=os.devnull, env={}, overrides={"data_dir": sys.argv[1]}))
    assert app.test_client().get("/zim/gros_fr/Petit").status_code == 200  # served once: cached
    inflated, events = [], []
    real_inflate = zimblobs.ZimFile.inflate
    zimblobs.ZimFile.inflate = lambda self, cluster: inflated.append(cluster) or real_inflate(self, cluster)

    def ask(path):
        events.append(f"asked {path}")
        response = app.test_client().get(f"/zim/gros_fr/{path}")
        events.append(f"answered {path} {response.status_code} {len(response.data)}")

    first = gevent.spawn(ask, "Gros_0")
    second = gevent.spawn(ask, "Petit")
    gevent.joinall([first, second], timeout=60)
    pages = [gevent.spawn(ask, "Gros_1") for _ in range(4)]  # four pupils, one cold cluster
    gevent.joinall(pages, timeout=60)
    print("\\n".join(events))
    print(f"inflated {len(inflated)}")
""")


@pytest.fixture
def big_data_dir(lib_config, tmp_path):
    assert import_path(lib_config, make_big_zim(tmp_path / "gros.zim")).status == "added"
    return lib_config.data_dir


def _run_under_gevent(data_dir: Path) -> list[str]:
    out = subprocess.run([sys.executable, "-c", UNDER_GEVENT, str(data_dir)], capture_output=True, text=True,
                         timeout=180)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_a_page_already_read_is_answered_while_another_pages_cluster_is_decompressed(big_data_dir):
    archive = Archive(next((big_data_dir / "zim").glob("*.zim")))
    big, small = (archive.get_entry_by_path(path).get_item() for path in ("Gros_0", "Petit"))
    lines = _run_under_gevent(big_data_dir)
    assert lines[:3] == ["asked Gros_0", "asked Petit", f"answered Petit 200 {small.size}"], lines
    assert lines[3] == f"answered Gros_0 200 {big.size}", lines


def test_pupils_asking_for_one_cold_cluster_wait_for_a_single_decompression(big_data_dir):
    lines = _run_under_gevent(big_data_dir)
    answers = [line for line in lines if line.startswith("answered Gros_1")]
    assert len(answers) == 4 and all(line.split()[2] == "200" for line in answers), lines
    # Gros_0's cluster, then Gros_1's once for the four of them
    assert lines[-1] == "inflated 2", lines


def test_every_entry_reads_the_same_bytes_as_libzim(tmp_path):
    path = make_zim(tmp_path / "vikidia.zim", articles=200)  # compressed articles, uncompressed index
    archive, raw, clusters = Archive(path), ZimFile(path), ClusterCache()
    checked = 0
    for index in range(archive.all_entry_count):
        entry = archive._get_entry_by_id(index)
        if not entry.is_redirect:
            where = locate(raw, entry._index, entry.path)
            assert read_located(raw, "u", where, clusters) == bytes(entry.get_item().content)
            checked += 1
    assert checked > 200
    raw.close()


def test_an_index_that_is_not_the_entry_is_refused(tmp_path):
    path = make_zim(tmp_path / "vikidia.zim")
    archive, raw = Archive(path), ZimFile(path)
    entry = archive.get_entry_by_path("Animal_3")
    with pytest.raises(Unreadable):
        raw.locate(entry._index + 1, entry.path)
    with pytest.raises(Unreadable):
        raw.locate(archive.all_entry_count + 5, entry.path)
    raw.close()


def test_not_a_zim_is_refused(tmp_path):
    (tmp_path / "faux.zim").write_bytes(b"ZIM? no" * 20)
    with pytest.raises(Unreadable):
        ZimFile(tmp_path / "faux.zim")


def test_a_cluster_over_the_cap_is_read_by_libzim(big_data_dir, monkeypatch):
    monkeypatch.setattr(zimblobs, "CLUSTER_MAX", 1024 * 1024)
    book = BookRegistry(big_data_dir).get("gros_fr")
    clusters = ClusterCache()
    found = read_entry(book, "Gros_2", EntryCache(), clusters)
    assert found.content == bytes(book.archive.get_entry_by_path("Gros_2").get_item().content)
    assert clusters.size == 0


def test_a_cluster_damaged_after_import_is_an_error_page_and_the_rest_is_served(app, big_data_dir, caplog):
    stored = next((big_data_dir / "zim").glob("*.zim"))
    archive = Archive(stored)
    raw = ZimFile(stored)
    cluster, _blob = raw.locate(archive.get_entry_by_path("Gros_1")._index, "Gros_1")
    start, end = raw.cluster_span(cluster)
    raw.close()
    with open(stored, "r+b") as handle:  # the disk, not an upload: imports check the checksum
        handle.seek(start + 1 + (end - start) // 2)
        handle.write(b"\xff" * 4096)
    client = app.test_client()
    for _ in range(2):
        assert client.get("/zim/gros_fr/Gros_1").status_code == 500
    assert "ZIM gros_fr: entry 'Gros_1' unreadable" in caplog.text
    page = client.get("/zim/gros_fr/Petit")
    assert page.status_code == 200 and b"petite page" in page.data


def test_a_page_is_held_once_in_memory_and_keeps_its_bytes_when_its_cluster_leaves(tmp_path):
    rng = random.Random(3)
    path = tmp_path / "pages.zim"
    with Creator(str(path)).config_clustersize(128 * 1024) as creator:  # several clusters of 12 KB pages
        for i in range(60):
            text = " ".join(rng.choice(WORDS) for _ in range(1500))
            creator.add_item(Article(f"Page_{i}", f"Page {i}", f"<html><body><p>{text}</p></body></html>"))
    archive = Archive(path)
    raw = ZimFile(path)
    first, last = (locate(raw, archive.get_entry_by_path(p)._index, p) for p in ("Page_0", "Page_59"))
    assert first.cluster != last.cluster
    from classbox.library.zim import Book

    book = Book("pages", "Pages", "uuid-pages", archive, False, raw)
    entries = EntryCache()
    clusters = ClusterCache(on_evict=entries.keep_bytes)
    expected = bytes(archive.get_entry_by_path("Page_0").get_item().content)
    assert read_entry(book, "Page_0", entries, clusters).content == expected
    clusters.max_bytes = clusters.size  # room for this one cluster only
    assert entries.get(("uuid-pages", "Page_0")).content == b""  # its bytes are in the cached cluster
    assert read_entry(book, "Page_59", entries, clusters).content  # another cluster: the first one leaves
    kept = entries.get(("uuid-pages", "Page_0"))
    assert kept.where is None and kept.content == expected
    assert read_entry(book, "Page_0", entries, clusters).content == expected
    raw.close()


# One client sends its requests back to back (as a keep-alive connection whose next request is
# already waiting: gevent's reads then return at once, without switching); another asks once.
BURST_UNDER_GEVENT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import os, sys
    import gevent
    from classbox import create_app
    from classbox.config import load_config

    app = create_app(load_config(path=os.devnull, env={}, overrides={"data_dir": sys.argv[1]}))
    assert app.test_client().get("/zim/gros_fr/Petit").status_code == 200  # cached from now on
    events = []

    def burst():
        client = app.test_client()
        for i in range(20):
            client.get("/zim/gros_fr/Petit")
            events.append("burst")

    def once():
        events.append(f"other answered {app.test_client().get('/zim/gros_fr/Petit').status_code}")

    gevent.joinall([gevent.spawn(burst), gevent.spawn(once)], timeout=60)
    print(events.index("other answered 200"))
""")


def test_a_client_asking_back_to_back_does_not_hold_the_worker_from_the_others(big_data_dir):
    out = subprocess.run([sys.executable, "-c", BURST_UNDER_GEVENT, str(big_data_dir)], capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) <= 1, "the other client waited for the whole burst"
