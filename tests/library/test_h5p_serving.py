"""Serving a stored H5P to its player: the sandboxed player page, content and library files with
their MIME types, versioned library URLs cached for good, and an old version no longer served."""

from __future__ import annotations

import json
import re

from classbox.library import import_path
from classbox.library.h5pfiles import internet_hosts
from classbox.storage import open_database
from tests.library.h5pbuild import content_json, h5p_files, h5p_json, write_h5p

LIB = "H5P.ClassboxQuestion-1.0"


def imported(config, tmp_path, name="q.h5p", **kwargs) -> str:
    """Import an exercise; its resource id."""
    pack = import_path(config, write_h5p(tmp_path / name, h5p_files(**kwargs))).pack
    db = open_database(config.data_dir)
    try:
        return db.execute("SELECT id FROM resource WHERE pack = ?", [pack]).fetchone()[0]
    finally:
        db.conn.close()


def player_options(client, resource_id: str, base_url: str = "http://localhost", **headers) -> tuple:
    response = client.get(f"/h5p/play/{resource_id}", headers=headers, base_url=base_url)
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="h5p-options">(.*?)</script>', html, re.S)
    return response, json.loads(found.group(1)), html


def test_the_player_page_has_no_origin_of_its_own_and_reaches_only_h5p_files(client, config, tmp_path):
    rid = imported(config, tmp_path)
    response, _options, _html = player_options(client, rid)
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts;") and "allow-same-origin" not in policy
    assert "connect-src http://localhost/h5p/;" in policy and "form-action 'none'" in policy
    assert "frame-ancestors 'self'" in policy and "X-Frame-Options" not in response.headers


def test_files_get_their_mime_type_and_library_urls_are_immutable(client, config, tmp_path):
    rid = imported(config, tmp_path)
    _response, options, html = player_options(client, rid)
    player = options["player"]
    libs, content = player["librariesPath"], player["h5pJsonPath"]
    expected = {f"{content}/h5p.json": "application/json",
                f"{player['contentJsonPath']}/content.json": "application/json",
                f"{libs}/{LIB}/library.json": "application/json",
                f"{libs}/{LIB}/classbox-question.js": "text/javascript; charset=utf-8",
                f"{libs}/{LIB}/classbox-question.css": "text/css; charset=utf-8",
                player["frameJs"]: "text/javascript; charset=utf-8"}
    for url, mime in expected.items():
        with client.get(url) as got:
            got.get_data()
        assert (got.status_code, got.content_type) == (200, mime), url
        assert got.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        assert got.headers["Access-Control-Allow-Origin"] == "*", url
        assert got.headers["X-Content-Type-Options"] == "nosniff", url
    assert client.get(f"{libs}/{LIB}/nothing.js").status_code == 404
    assert client.get(f"{libs}/H5P.Other-1.0/library.json").status_code == 404
    assert 'src="/h5p/player/' in html


def test_a_newer_patch_changes_the_library_urls_and_the_old_ones_are_gone(client, config, tmp_path):
    rid = imported(config, tmp_path)
    old = player_options(client, rid)[1]["player"]["librariesPath"]
    imported(config, tmp_path, name="q2.h5p", meta=h5p_json("Autre"), content=content_json("Deux et deux ?", "4"),
             patch=3)
    new = player_options(client, rid)[1]["player"]["librariesPath"]
    assert new != old
    with client.get(f"{new}/{LIB}/library.json") as got:
        assert json.loads(got.data)["patchVersion"] == 3
    assert client.get(f"{old}/{LIB}/library.json").status_code == 404


def test_the_player_speaks_the_pages_language(client, config, tmp_path):
    rid = imported(config, tmp_path)
    _r, french, html = player_options(client, rid, **{"Accept-Language": "fr-FR"})
    assert french["player"]["translations"]["H5P"]["close"] == "Fermer" and '<html lang="fr">' in html
    _r, english, html = player_options(client, rid, **{"Accept-Language": "en-GB"})
    assert english["player"]["translations"]["H5P"]["close"] == "Close" and '<html lang="en">' in html


def test_unknown_or_other_kinds_of_resource_have_no_player(client, config, tmp_path):
    assert client.get("/h5p/play/0123456789abcdef").status_code == 404
    assert client.get("/h5p/content/h5p-0123456789abcdef/h5p.json").status_code == 404
    assert client.get("/h5p/content/../etc/passwd").status_code == 404
    assert client.get("/h5p/player/0.0.0-bad/main.bundle.js").status_code == 404


def test_media_on_the_internet_are_listed_for_the_player():
    video = {"interaction": {"video": {"files": [{"path": "https://www.youtube.com/watch?v=abc", "mime": "video/YouTube"}]},
                             "image": {"path": "images/local.png"}, "text": "<a href='https://fr.wikipedia.org'>x</a>"},
             "embed": {"source": "//player.vimeo.com/video/1"}}
    assert internet_hosts(video) == ["player.vimeo.com", "www.youtube.com"]
    assert internet_hosts({"image": {"path": "images/a.png"}}) == []
