"""The installable pupil shell: manifest, service worker at the root scope, shell files."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

from classbox.web.pwa import _worker_source, shell_static_files


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_manifest_describes_an_installable_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone" and manifest["lang"] == "fr"
    sizes = set()
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as served:
            assert served.status_code == 200, icon["src"]
            assert served.mimetype == icon["type"]
            if icon["type"] == "image/png":
                width, height = png_size(served.data)
                assert icon["sizes"] == f"{width}x{height}"
                sizes.add(width)
    assert {192, 512} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])


def test_manifest_speaks_the_page_language(client):
    english = json.loads(client.get("/manifest.webmanifest", headers={"Accept-Language": "en"}).data)
    assert english["lang"] == "en" and "even without the Internet" in english["description"]


def test_service_worker_is_served_at_the_root_and_revalidated(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_every_shell_file_the_worker_precaches_is_served(client):
    source = client.get("/sw.js").get_data(as_text=True)
    first_line = source.split("\n", 1)[0]
    assert first_line.startswith("self.CLASSBOX_SW = ") and first_line.endswith(";")
    settings = json.loads(first_line[len("self.CLASSBOX_SW = "):-1])
    assert "/" in settings["shell"] and "/static/pupil/offline-queue.js" in settings["shell"]
    for url in settings["shell"]:
        with client.get(url) as served:
            assert served.status_code == 200, url


def test_worker_version_changes_when_a_shell_file_changes(tmp_path, app):
    static = Path(app.static_folder)
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(static, one)
    shutil.copytree(static, two)
    (two / "pupil" / "offline-queue.js").write_text("/* changed */", encoding="utf-8")
    assert "pupil/offline-queue.js" in shell_static_files(one)
    assert _worker_source(str(one))[1] != _worker_source(str(two))[1]
    assert _worker_source(str(one))[1] == _worker_source(str(tmp_path / ".." / tmp_path.name / "one"))[1]


def test_every_page_links_the_manifest_and_registers_the_worker(client):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert "/static/pwa/register.js" in page


def test_every_module_the_pupil_page_imports_is_in_the_shell(app):
    """Offline, the pupil page loads from the worker's cache: a module it imports that is not
    precached breaks the whole page (ES module imports fail as a block)."""
    import posixpath
    import re
    from pathlib import Path

    from classbox.web.pwa import shell_static_files

    static = Path(app.static_folder)
    shell = set(shell_static_files(static))
    todo, seen = ["classroom-pupil.js"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        source = (static / name).read_text(encoding="utf-8")
        for found in re.findall(r'^import .* from "(\.{1,2}/[^"]+)";', source, re.M):
            todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(name), found)))
    assert seen - shell == set()
