"""GET/HEAD /blobs/<sha256>: ranges, validators, immutable caching, X-Accel-Redirect, safe names."""

from __future__ import annotations

import hashlib

import pytest

from classbox import create_app
from classbox.library import import_path
from tests.library.conftest import Buffered, manifest, write_folder

BODY = bytes(range(256)) * 40  # 10240 bytes
SHA = hashlib.sha256(BODY).hexdigest()


@pytest.fixture
def blob_client(app, lib_config, tmp_path):
    files = {"vidéos/leçon 1.mp4": BODY, "lecons/eau.html": b"<p>eau</p>"}
    resources = [{"path": "vidéos/leçon 1.mp4", "title": "Leçon filmée"},
                 {"path": "lecons/eau.html", "title": "Eau"}]
    import_path(lib_config, write_folder(tmp_path / "pack", manifest(resources=resources), files))
    return Buffered(app.test_client())


def test_full_get_has_type_validators_and_immutable_caching(blob_client):
    response = blob_client.get(f"/blobs/{SHA}")
    assert response.status_code == 200 and response.data == BODY
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["ETag"] == f'"{SHA}"'
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Last-Modified" in response.headers
    assert response.headers["Content-Disposition"] == (
        "inline; filename=\"le_on 1.mp4\"; filename*=UTF-8''le%C3%A7on%201.mp4")


def test_head_sends_headers_only(blob_client):
    response = blob_client.head(f"/blobs/{SHA}")
    assert response.status_code == 200 and response.data == b""
    assert response.headers["Content-Length"] == str(len(BODY))


@pytest.mark.parametrize("header, start, end", [
    ("bytes=0-99", 0, 99), ("bytes=100-", 100, len(BODY) - 1), ("bytes=-10", len(BODY) - 10, len(BODY) - 1),
    ("bytes=10000-99999", 10000, len(BODY) - 1),
])
def test_single_range_is_206(blob_client, header, start, end):
    response = blob_client.get(f"/blobs/{SHA}", headers={"Range": header})
    assert response.status_code == 206
    assert response.data == BODY[start:end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(BODY)}"


@pytest.mark.parametrize("header", [
    "bytes=20000-30000",      # out of bounds
    "bytes=10240-",           # starts at the size
    "bytes=500-100",          # backwards
    "bytes=abc-def",          # malformed
    "items=0-10",             # unknown unit
    "bytes=0-10,20-30",       # several ranges: not served
    "bytes=" + ",".join(f"{i}-{i}" for i in range(500)),
])
def test_unsatisfiable_or_bad_range_is_416_with_size(blob_client, header):
    response = blob_client.get(f"/blobs/{SHA}", headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(BODY)}"


def test_if_none_match_gives_304(blob_client):
    response = blob_client.get(f"/blobs/{SHA}", headers={"If-None-Match": f'"{SHA}"'})
    assert response.status_code == 304 and response.data == b""
    other = blob_client.get(f"/blobs/{SHA}", headers={"If-None-Match": '"autre"'})
    assert other.status_code == 200


def test_if_range_honours_the_range_only_for_the_same_blob(blob_client):
    same = blob_client.get(f"/blobs/{SHA}", headers={"Range": "bytes=0-9", "If-Range": f'"{SHA}"'})
    assert same.status_code == 206 and same.data == BODY[:10]
    changed = blob_client.get(f"/blobs/{SHA}", headers={"Range": "bytes=0-9", "If-Range": '"ancien"'})
    assert changed.status_code == 200 and changed.data == BODY


@pytest.mark.parametrize("name", ["abc", SHA.upper(), SHA + "0", SHA[:-1], "..%2F..%2Fetc%2Fpasswd",
                                  "%2e%2e", "0" * 64])
def test_bad_or_unknown_blob_names_are_404(blob_client, name):
    assert blob_client.get(f"/blobs/{name}").status_code == 404


def test_html_blobs_are_sandboxed(blob_client):
    sha = hashlib.sha256(b"<p>eau</p>").hexdigest()
    response = blob_client.get(f"/blobs/{sha}")
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox allow-scripts") and "allow-same-origin" not in csp
    assert "frame-ancestors 'self'" in csp and "connect-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_behind_nginx_hands_the_bytes_to_nginx(lib_config, tmp_path):
    lib_config["web"]["behind_nginx"] = True
    app = create_app(lib_config)
    import_path(lib_config, write_folder(tmp_path / "pack", manifest(resources=[{"path": "a.mp4", "title": "A"}]),
                                         {"a.mp4": BODY}))
    client = Buffered(app.test_client())
    response = client.get(f"/blobs/{SHA}", headers={"Range": "bytes=0-9"})
    assert response.status_code == 200 and response.data == b""
    assert response.headers["X-Accel-Redirect"] == f"/_classbox_blobs/{SHA[:2]}/{SHA[2:4]}/{SHA}"
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    not_modified = client.get(f"/blobs/{SHA}", headers={"If-None-Match": f'"{SHA}"'})
    assert not_modified.status_code == 304 and "X-Accel-Redirect" not in not_modified.headers
