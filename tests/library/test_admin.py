"""The library panel on /admin: size, upload of a pack, verification."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.library.conftest import manifest, write_zip


@pytest.fixture
def admin_client(client, admin, login):
    login(admin)
    return client


def test_panel_shows_size_and_upload_form(admin_client):
    page = admin_client.get("/admin").get_data(as_text=True)
    assert 'id="panel-library"' in page and 'action="/admin/library/upload?csrf_token=' in page
    assert "Aucune vérification faite" in page


def test_upload_imports_a_pack(admin_client, tmp_path):
    data = write_zip(tmp_path / "p.zip", manifest()).read_bytes()
    response = admin_client.post("/admin/library/upload", data={"pack": (io.BytesIO(data), "sciences.zip")},
                                 content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "ajouté, 3 ressource(s)" in page and "sciences-c3" in page
    assert len(admin_client.get("/api/library").get_json()["items"]) == 3


def upload(admin_client, data: bytes, name: str = "p.zip", headers=None) -> str:
    """The admin page after uploading `data`."""
    return admin_client.post("/admin/library/upload", data={"pack": (io.BytesIO(data), name)}, headers=headers,
                             content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)


def test_bad_upload_is_refused_with_a_message(admin_client, tmp_path):
    data = write_zip(tmp_path / "p.zip", manifest(format="classbox-pack/9")).read_bytes()
    page = upload(admin_client, data)
    assert ("Import refusé, la bibliothèque n&#39;a pas changé : format de paquet inconnu : cette classbox lit "
            "les paquets classbox-pack/1") in page
    english = upload(admin_client, data, headers={"Accept-Language": "en"})
    assert "this classbox reads classbox-pack/1 packs" in english
    assert admin_client.get("/api/library").get_json()["items"] == []
    assert list((tmp_path / "data" / "tmp").glob("import-*")) == []


def test_the_refusals_an_admin_meets_are_in_french(admin_client, tmp_path):
    """Not a zip, a damaged pack, an older version: one French sentence each, library unchanged."""
    assert "ce fichier n&#39;est pas un zip lisible" in upload(admin_client, b"ceci n'est pas un zip")
    path = write_zip(tmp_path / "p.zip", manifest(), compression=zipfile.ZIP_STORED)
    with zipfile.ZipFile(path) as archive:
        lesson = archive.getinfo("lecons/eau.html")
    damaged = bytearray(path.read_bytes())
    data_start = lesson.header_offset + 30 + len(lesson.filename.encode()) + len(lesson.extra)
    damaged[data_start] ^= 0xFF  # one byte of the lesson flipped on the USB stick
    page = upload(admin_client, bytes(damaged))
    assert "le paquet est incomplet ou abîmé : lecons/eau.html ne se lit pas en entier" in page, page
    assert admin_client.get("/api/library").get_json()["items"] == []
    assert "ajouté" in upload(admin_client, write_zip(tmp_path / "v2.zip", manifest(version="2.0")).read_bytes())
    older = upload(admin_client, write_zip(tmp_path / "v1.zip", manifest(version="1.0")).read_bytes())
    assert "la version 2.0 du paquet sciences-c3, plus récente que la 1.0, est déjà installée" in older


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
