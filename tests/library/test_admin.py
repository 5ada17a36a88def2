"""The library panel on /admin: size, upload of a pack, verification."""

from __future__ import annotations

import io

import pytest

from tests.library.conftest import manifest, write_zip


@pytest.fixture
def admin_client(client, admin, login):
    login(admin)
    return client


def test_panel_shows_size_and_upload_form(admin_client):
    page = admin_client.get("/admin").get_data(as_text=True)
    assert 'id="panel-library"' in page and 'action="/admin/library/upload"' in page
    assert "Aucune vérification faite" in page


def test_upload_imports_a_pack(admin_client, tmp_path):
    data = write_zip(tmp_path / "p.zip", manifest()).read_bytes()
    response = admin_client.post("/admin/library/upload", data={"pack": (io.BytesIO(data), "sciences.zip")},
                                 content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "ajouté, 3 ressource(s)" in page and "sciences-c3" in page
    assert len(admin_client.get("/api/library").get_json()["items"]) == 3


def test_bad_upload_is_refused_with_a_message(admin_client, tmp_path):
    data = write_zip(tmp_path / "p.zip", manifest(format="classbox-pack/9")).read_bytes()
    response = admin_client.post("/admin/library/upload", data={"pack": (io.BytesIO(data), "p.zip")},
                                 content_type="multipart/form-data", follow_redirects=True)
    assert "Import refusé, la bibliothèque n&#39;a pas changé : unknown pack format" in response.get_data(as_text=True)
    assert admin_client.get("/api/library").get_json()["items"] == []
    assert list((tmp_path / "data" / "tmp").glob("import-*")) == []


def test_verify_reports_corrupt_files(admin_client, tmp_path):
    data = write_zip(tmp_path / "p.zip", manifest()).read_bytes()
    admin_client.post("/admin/library/upload", data={"pack": (io.BytesIO(data), "p.zip")},
                      content_type="multipart/form-data")
    blob = next((tmp_path / "data" / "blobs").rglob("*/*/*"))
    blob.write_bytes(b"abime")
    page = admin_client.post("/admin/library/verify", follow_redirects=True).get_data(as_text=True)
    assert "3 fichier(s), 1 corrompu(s)" in page and blob.name in page


def test_pupils_cannot_upload(client, tmp_path):
    data = write_zip(tmp_path / "p.zip", manifest()).read_bytes()
    response = client.post("/admin/library/upload", data={"pack": (io.BytesIO(data), "p.zip")},
                           content_type="multipart/form-data")
    assert response.status_code in (302, 401, 403)
    assert client.get("/api/library").get_json()["items"] == []
