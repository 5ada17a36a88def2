"""Uploading a big pack from /admin: streamed to the data dir, limited, CSRF-checked, nothing left behind."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from tests.library.conftest import manifest, write_zip

MB = 1024 * 1024


@pytest.fixture
def admin_client(app, client, admin, login):
    app.config["WTF_CSRF_ENABLED"] = True  # the real server checks it: so do these tests
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"login": admin[0], "password": admin[1], "csrf_token": token})
    assert response.status_code == 302
    return client


def big_pack(path, size: int):
    """A pack whose one video weighs `size` bytes (stored, not compressed)."""
    files = {"video.webm": b"\x1a\x45\xdf\xa3" + bytes(size - 4)}
    data = manifest(resources=[{"path": "video.webm", "title": "Film", "kind": "video"}])
    return write_zip(path, data, files, compression=zipfile.ZIP_STORED)


def admin_token(client) -> str:
    page = client.get("/admin").get_data(as_text=True)
    return re.search(r'data-csrf="([^"]+)"', page).group(1)


def staged(data_dir) -> list:
    """What uploads and imports left in the data dir's temp folder."""
    tmp = data_dir / "tmp"
    return sorted(p.name for p in tmp.iterdir() if p.name != "library-import.lock") if tmp.is_dir() else []


def test_a_25_mb_pack_uploads_through_the_form_without_javascript(admin_client, tmp_path):
    """The 20 MB request limit ([web] max_upload_mb) does not apply to packs: max_pack_mb does."""
    data = big_pack(tmp_path / "big.zip", 25 * MB).read_bytes()
    page = admin_client.get("/admin").get_data(as_text=True)
    action = re.search(r'<form[^>]+action="([^"]*library/upload[^"]*)"', page).group(1).replace("&amp;", "&")
    response = admin_client.post(action, data={"pack": (io.BytesIO(data), "films.zip")},
                                 content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert "ajouté, 1 ressource(s)" in response.get_data(as_text=True)
    assert staged(tmp_path / "data") == []


def raw_upload(client, data: bytes, name: str = "films.zip", token: str | None = "from-page", **headers):
    """The upload as the page's script sends it: the file as the body, the token in a header."""
    if token == "from-page":
        token = admin_token(client)
    if token is not None:
        headers["X-CSRFToken"] = token
    return client.post(f"/admin/library/upload?name={name}", data=data, headers={
        "Content-Type": "application/octet-stream", "Accept": "application/json", **headers})


def test_the_script_upload_answers_in_json_and_imports(admin_client, tmp_path):
    data = big_pack(tmp_path / "big.zip", 2 * MB).read_bytes()
    response = raw_upload(admin_client, data)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["ok"] is True and "ajouté, 1 ressource(s)" in body["message"]
    assert len(admin_client.get("/api/library").get_json()["items"]) == 1
    assert staged(tmp_path / "data") == []


def test_an_upload_without_the_csrf_token_is_refused_before_any_byte_is_kept(admin_client, tmp_path):
    data = big_pack(tmp_path / "big.zip", MB).read_bytes()
    for token in (None, "forged"):
        response = raw_upload(admin_client, data, token=token)
        assert response.status_code == 400
        assert staged(tmp_path / "data") == []
    assert admin_client.get("/api/library").get_json()["items"] == []


def test_an_oversized_upload_is_refused_with_the_limit_and_leaves_nothing(app, admin_client, tmp_path):
    app.config["CLASSBOX"]["library"]["max_pack_mb"] = 1
    response = raw_upload(admin_client, big_pack(tmp_path / "big.zip", 2 * MB).read_bytes())
    assert response.status_code == 413
    assert "1 Mo" in response.get_json()["message"]
    assert staged(tmp_path / "data") == []


def test_an_upload_that_would_fill_the_disk_is_refused_and_leaves_nothing(app, admin_client, tmp_path):
    app.config["CLASSBOX"]["library"]["min_free_mb"] = 10 ** 9  # a terabyte must stay free: no room
    response = raw_upload(admin_client, big_pack(tmp_path / "big.zip", MB).read_bytes())
    assert response.status_code == 507
    assert "pas assez de place" in response.get_json()["message"]
    assert staged(tmp_path / "data") == []


def test_an_english_admin_gets_the_refusal_in_english(admin_client, tmp_path):
    response = raw_upload(admin_client, b"not a zip at all", **{"Accept-Language": "en"})
    assert response.status_code == 422
    assert "this file is not a readable zip" in response.get_json()["message"]


def test_the_panel_offers_progress_to_the_script(admin_client):
    page = admin_client.get("/admin").get_data(as_text=True)
    assert 'id="pack-progress"' in page and 'role="status"' in page
    assert "library-upload.js" in page


def test_an_upload_while_another_import_runs_is_refused_before_reading(app, admin_client, tmp_path):
    from classbox.library.staging import import_lock

    with import_lock(app.config["CLASSBOX"]):
        response = raw_upload(admin_client, big_pack(tmp_path / "big.zip", MB).read_bytes())
    assert response.status_code == 409
    assert "un autre import est en cours" in response.get_json()["message"]
    assert staged(tmp_path / "data") == []
