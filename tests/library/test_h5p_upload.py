"""Uploading a `.h5p` on /admin: imported like a pack; a refused file says why in the admin's language."""

from __future__ import annotations

from tests.library.h5pbuild import h5p_files, write_h5p
from tests.library.test_upload import admin_client, raw_upload, staged  # noqa: F401 (fixture)


def test_the_admin_upload_imports_an_h5p(admin_client, tmp_path):  # noqa: F811
    response = raw_upload(admin_client, write_h5p(tmp_path / "q.h5p").read_bytes(), name="capitale.h5p")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["ok"] is True and "ajouté, 1 ressource(s)" in response.get_json()["message"]
    items = admin_client.get("/api/library?kind=h5p").get_json()["items"]
    assert [(i["title"], i["kind"]) for i in items] == [("La capitale de la France", "h5p")]
    assert staged(tmp_path / "data") == []


def test_a_refused_h5p_upload_says_why_in_english_and_stores_nothing(admin_client, tmp_path):  # noqa: F811
    files = h5p_files()
    files["content/shell.php"] = b"<?php system($_GET['c']);"
    response = raw_upload(admin_client, write_h5p(tmp_path / "evil.h5p", files).read_bytes(), name="evil.h5p",
                          **{"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.get_json()["message"] == \
        "Import refused, the library has not changed: " \
        "this H5P contains content/shell.php: H5P does not accept files of this type"
    assert admin_client.get("/api/library").get_json()["items"] == []
    assert staged(tmp_path / "data") == []


def test_the_resource_page_of_an_h5p_plays_it_in_a_sandboxed_frame(admin_client, tmp_path):  # noqa: F811
    raw_upload(admin_client, write_h5p(tmp_path / "q.h5p").read_bytes(), name="capitale.h5p")
    item = admin_client.get("/api/library?kind=h5p").get_json()["items"][0]
    page = admin_client.get(item["url"]).get_data(as_text=True)
    assert "La capitale de la France" in page and "Exercice interactif (H5P)" in page
    frame = page.split('id="h5p-frame"')[1].split(">")[0]
    assert f'/h5p/play/{item["id"]}' in frame and 'sandbox="allow-scripts' in frame
    player = admin_client.get(f'/h5p/play/{item["id"]}')  # no [library] h5p_origin: served on the box's site
    assert player.headers["Content-Security-Policy"].startswith("sandbox allow-scripts;")  # opaque: no cookies
    assert "download" not in page.split('class="viewer"')[1]  # its h5p.json is no file for a pupil
