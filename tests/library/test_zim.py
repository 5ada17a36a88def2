"""ZIM books through real libzim: import, entries, redirects, suggestions, bounded full-text search."""

from __future__ import annotations

import threading
import time

import pytest

from classbox.library import PackError, import_path
from classbox.library.packs import remove_pack
from classbox.library.zimread import BoundedRunner, SearchBusy
from tests.helpers import wait_until
from tests.library.conftest import library_state, make_zim


@pytest.fixture
def zim_file(tmp_path):
    return make_zim(tmp_path / "vikidia.zim")


@pytest.fixture
def book_client(app, lib_config, zim_file):
    result = import_path(lib_config, zim_file)
    assert result.status == "added"
    return app.test_client()


def test_import_registers_the_book_in_the_catalogue(book_client, lib_config):
    files = list((lib_config.data_dir / "zim").glob("*.zim"))
    assert len(files) == 1 and files[0].name.startswith("vikidia_fr_test.")
    body = book_client.get("/api/library?kind=zim").get_json()
    assert [(i["title"], i["subject"], i["language"]) for i in body["items"]] == [("Vikidia test", "encyclopedie", "fr")]
    page = book_client.get(body["items"][0]["url"]).get_data(as_text=True)
    assert 'href="/zim/vikidia_fr_test/"' in page


def test_same_zim_twice_is_unchanged(book_client, lib_config, zim_file):
    before = library_state(lib_config.data_dir)
    assert import_path(lib_config, zim_file).status == "unchanged"
    assert library_state(lib_config.data_dir) == before


def test_new_edition_replaces_the_file(book_client, lib_config, tmp_path):
    old = list((lib_config.data_dir / "zim").glob("*.zim"))
    assert import_path(lib_config, make_zim(tmp_path / "v2.zim", articles=5)).status == "updated"
    new = list((lib_config.data_dir / "zim").glob("*.zim"))
    assert len(new) == 1 and new != old
    assert book_client.get("/zim/vikidia_fr_test/Animal_4").status_code == 200
    assert book_client.get("/zim/vikidia_fr_test/Animal_20").status_code == 404


def test_entries_are_served_with_their_mime_type(book_client):
    page = book_client.get("/zim/vikidia_fr_test/Animal_3")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "numéro 3" in page.get_data(as_text=True)
    assert "sandbox" in page.headers["Content-Security-Policy"]
    css = book_client.get("/zim/vikidia_fr_test/style/main.css")
    assert css.mimetype == "text/css" and css.data == b"body{color:#111}"
    again = book_client.get("/zim/vikidia_fr_test/Animal_3", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304


def test_main_page_and_redirects(book_client):
    main = book_client.get("/zim/vikidia_fr_test/")
    assert main.status_code == 302 and main.headers["Location"].endswith("/zim/vikidia_fr_test/Accueil")
    redirect = book_client.get("/zim/vikidia_fr_test/Elephant")
    assert redirect.status_code == 302 and redirect.headers["Location"].endswith("/zim/vikidia_fr_test/Animal_1")


@pytest.mark.parametrize("url", [
    "/zim/vikidia_fr_test/Absent", "/zim/inconnu/Accueil", "/zim/../classbox.db", "/zim/%2e%2e/classbox.db",
    "/zim/vikidia_fr_test/../../classbox.db", "/zim/vikidia_fr_test/%2e%2e/%2e%2e/etc/passwd",
    "/zim/vikidia_fr_test/..%5c..%5cclassbox.db", "/zim/VIKIDIA_FR_TEST/Accueil", "/zim/.zim/x",
    "/zim/vikidia_fr_test/" + "a" * 3000,
])
def test_unknown_or_traversal_paths_are_404(book_client, url):
    assert book_client.get(url).status_code == 404


def test_fulltext_search_respects_the_limit(book_client):
    body = book_client.get("/api/zim/vikidia_fr_test/search?q=vegetaux&limit=5").get_json()
    assert len(body["results"]) == 5 and body["estimated"] >= 30
    assert body["results"][0]["url"].startswith("/zim/vikidia_fr_test/Animal_")
    capped = book_client.get("/api/zim/vikidia_fr_test/search?q=foret&limit=100000").get_json()
    assert len(capped["results"]) == 30  # all of them, under the configured cap of 50


def test_search_limit_is_capped_by_config(app, lib_config, zim_file):
    lib_config["library"]["search_limit"] = 3
    import_path(lib_config, zim_file)
    body = app.test_client().get("/api/zim/vikidia_fr_test/search?q=foret&limit=100").get_json()
    assert len(body["results"]) == 3


def test_suggestions_by_title(book_client):
    body = book_client.get("/api/zim/vikidia_fr_test/suggest?q=elep&limit=3").get_json()
    assert len(body["results"]) == 3 and all(r["title"].lower().startswith(("éléphant", "elephant")) for r in body["results"])


def test_pupil_page_searches_the_book(book_client):
    item = book_client.get("/api/library?kind=zim").get_json()["items"][0]
    page = book_client.get(item["url"] + "?q=éléphant").get_data(as_text=True)
    assert 'href="/zim/vikidia_fr_test/Animal_' in page


def test_a_slow_search_answers_busy_within_its_budget():
    runner = BoundedRunner(workers=1, max_pending=4)
    release = threading.Event()
    started = time.monotonic()
    with pytest.raises(SearchBusy, match="too long"):
        runner.run(lambda: release.wait(10), timeout=0.2)
    assert time.monotonic() - started < 5
    release.set()


def test_too_many_waiting_searches_are_turned_away():
    runner = BoundedRunner(workers=1, max_pending=2)
    release = threading.Event()
    errors = []

    def slow():
        try:
            runner.run(lambda: release.wait(10), timeout=5)
        except SearchBusy as err:
            errors.append(err)

    threads = [threading.Thread(target=slow) for _ in range(2)]
    for t in threads:
        t.start()
    assert wait_until(lambda: runner._pending == 2, 5, 0.01)
    with pytest.raises(SearchBusy, match="too many"):
        runner.run(lambda: "x", timeout=1)
    release.set()
    for t in threads:
        t.join()
    assert errors == []


def test_busy_search_api_is_503(book_client, app):
    from classbox.library.zimviews import EXTENSION_KEY

    book_client.get("/zim/vikidia_fr_test/Accueil")
    state = app.extensions[EXTENSION_KEY]
    state.runner = BoundedRunner(workers=1, max_pending=0)
    response = book_client.get("/api/zim/vikidia_fr_test/search?q=foret")
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert response.get_json()["error"] == "busy"


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "junk"])
def test_damaged_zim_is_refused(lib_config, zim_file, tmp_path, damage):
    data = zim_file.read_bytes()
    bad = tmp_path / f"{damage}.zim"
    if damage == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "corrupt":
        mid = len(data) // 3
        bad.write_bytes(data[:mid] + bytes(b ^ 0xFF for b in data[mid:mid + 200]) + data[mid + 200:])
    else:
        bad.write_bytes(b"ZIM? no")
    import_path(lib_config, make_zim(tmp_path / "other.zim", name="autre"))
    before = library_state(lib_config.data_dir)
    with pytest.raises(PackError, match="ZIM"):
        import_path(lib_config, bad)
    assert library_state(lib_config.data_dir) == before


def test_remove_book_deletes_its_file(book_client, lib_config):
    remove_pack(lib_config, "zim-vikidia_fr_test")
    assert list((lib_config.data_dir / "zim").glob("*.zim")) == []
    assert book_client.get("/api/library?kind=zim").get_json()["items"] == []
