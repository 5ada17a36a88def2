"""Pupil pages: the demo library by subject and level, search, and the right viewer for each kind."""

from __future__ import annotations

import re

import pytest

from classbox.demo import DEMO_PACK
from classbox.library import import_path
from tests.library.conftest import manifest, write_folder

KIND_FILES = {
    "film.mp4": ("video", b"\0\0\0\x18ftypmp42"), "chant.mp3": ("audio", b"ID3"),
    "fiche.pdf": ("pdf", b"%PDF-1.4"), "carte.png": ("image", b"\x89PNG"),
    "lecon.html": ("html", b"<script>parent.document.title='pwned'</script>"),
    "livre.epub": ("epub", b"PK"), "notes.txt": ("text", "Des notes en français".encode()),
}


@pytest.fixture
def demo_client(app, lib_config):
    import_path(lib_config, DEMO_PACK)
    return app.test_client()


@pytest.fixture
def kinds_client(app, lib_config, tmp_path):
    resources = [{"path": p, "title": f"Ressource {k}", "subject": "sciences", "level": "cycle3"}
                 for p, (k, _d) in KIND_FILES.items()]
    import_path(lib_config, write_folder(tmp_path / "pack", manifest(id="types", resources=resources),
                                         {p: d for p, (_k, d) in KIND_FILES.items()}))
    return app.test_client()


def test_demo_pack_gives_three_resources(demo_client):
    items = demo_client.get("/api/library").get_json()["items"]
    assert sorted(i["kind"] for i in items) == ["html", "image", "text"]


def test_home_groups_by_subject_and_filters_by_level(demo_client):
    page = demo_client.get("/library").get_data(as_text=True)
    assert '<h2 id="s-sciences">Sciences</h2>' in page and '<h2 id="s-francais">Français</h2>' in page
    assert "Le cycle de l&#39;eau" in page
    assert "Le cycle de l&#39;eau" not in demo_client.get("/library?level=cycle1").get_data(as_text=True)


def test_search_works_without_javascript(demo_client):
    page = demo_client.get("/library?q=poesie").get_data(as_text=True)
    assert "Chanson d&#39;automne" in page and "Le cycle de l&#39;eau" not in page


def test_pages_use_only_local_assets_and_labelled_fields(demo_client):
    page = demo_client.get("/library").get_data(as_text=True)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    for field in re.findall(r'<(?:input|select)[^>]*id="([^"]+)"', page):
        assert f'<label for="{field}"' in page
    assert '<html lang="fr">' in page


@pytest.mark.parametrize("name, expected", [
    ("film.mp4", '<video controls preload="metadata" src="/blobs/'),
    ("chant.mp3", '<audio controls preload="metadata" src="/blobs/'),
    ("fiche.pdf", 'type="application/pdf"'),
    ("carte.png", '<img src="/blobs/'),
    ("lecon.html", '<iframe src="/library/files/types/lecon.html"'),
    ("notes.txt", "Des notes en français"),
    ("livre.epub", "Télécharger"),
])
def test_resource_page_has_the_right_viewer(kinds_client, name, expected):
    items = kinds_client.get("/api/library?per_page=50").get_json()["items"]
    item = next(i for i in items if i["title"] == f"Ressource {KIND_FILES[name][0]}")
    page = kinds_client.get(item["url"]).get_data(as_text=True)
    assert expected in page


def test_html_lessons_cannot_reach_the_parent_page(kinds_client):
    items = kinds_client.get("/api/library?kind=html").get_json()["items"]
    response = kinds_client.get(items[0]["url"])
    page = response.get_data(as_text=True)
    iframe = re.search(r"<iframe[^>]*>", page).group(0)
    assert 'sandbox="allow-scripts"' in iframe  # no allow-same-origin, no allow-top-navigation
    assert "frame-src 'self'" in response.headers["Content-Security-Policy"]
    lesson = kinds_client.get("/library/files/types/lecon.html", buffered=True)
    csp = lesson.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox allow-scripts") and "allow-same-origin" not in csp
    assert "allow-top-navigation" not in csp and "connect-src 'none'" in csp


def test_unknown_resource_is_a_french_404(demo_client):
    response = demo_client.get("/library/inconnu")
    assert response.status_code == 404 and "Page introuvable" in response.get_data(as_text=True)


def test_pack_files_outside_the_catalogue_are_404(demo_client):
    assert demo_client.get("/library/files/classbox-demo/../classbox.db").status_code == 404
    assert demo_client.get("/library/files/classbox-demo/classbox-pack.json").status_code == 404
