"""An admin uploads a pack from /admin with the keyboard: progress shown and announced, list updated."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests.library.conftest import write_zip

pytestmark = pytest.mark.peer
MB = 1024 * 1024
RECORD_ANNOUNCEMENTS = """() => {
  window.heard = [];
  window.barShown = false;
  const status = document.getElementById("pack-status");
  new MutationObserver(() => window.heard.push(status.textContent)).observe(status, {childList: true, characterData: true, subtree: true});
  const line = document.getElementById("pack-progress-line");
  new MutationObserver(() => { if (!line.hidden) window.barShown = true; }).observe(line, {attributes: true});
}"""


@pytest.fixture
def pack(tmp_path, box):
    """A 30 MB pack (more than the 20 MB request limit), removed from the box afterwards if it went in."""
    data = {"format": "classbox-pack/1", "id": "e2e-upload", "version": "1", "title": "Films envoyés",
            "language": "fr", "publisher": "classbox", "license": "CC0-1.0",
            "resources": [{"path": "film.webm", "title": "Film envoyé", "kind": "video"}]}
    path = write_zip(tmp_path / "films.zip", data, {"film.webm": os.urandom(30 * MB)}, compression=zipfile.ZIP_STORED)
    yield path
    env = {**os.environ, "CLASSBOX_CONFIG": os.devnull, "CLASSBOX_DATA_DIR": str(box.data_dir)}
    subprocess.run([sys.executable, "-m", "classbox", "library", "remove", "e2e-upload"], env=env, check=False,
                   capture_output=True)


@pytest.mark.parametrize("language, done", [("fr-FR", "ajouté, 1 ressource(s)"), ("en-GB", "added, 1 resource(s)")])
def test_an_admin_uploads_a_pack_with_the_keyboard_and_hears_its_progress(contexts, report, pack, language, done):
    page = contexts("tablet", language=language, role="admin").new_page()
    page.goto("/admin")
    page.set_input_files("#pack-file", str(pack))
    page.evaluate(RECORD_ANNOUNCEMENTS)
    page.focus("#pack-file")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.getElementById('pack-status').textContent.includes({done!r})",
                           timeout=60_000)
    heard = page.evaluate("() => window.heard")
    sending, sent = ("Envoi de films.zip…", "Fichier envoyé, import en cours…") if language == "fr-FR" else \
        ("Sending films.zip…", "File sent, importing…")
    assert heard[0] == sending and sent in heard, heard
    assert page.evaluate("() => window.barShown"), "the progress bar was shown while sending"
    assert page.evaluate("() => document.activeElement.type") == "submit", "the focus stayed on the button"
    page.wait_for_function("() => document.querySelector('#panel-library table').textContent.includes('Films envoyés')")
    assert report.check_accessible(page, f"admin after an upload ({language})") == []
    if language == "en-GB":
        assert "Envoi" not in page.inner_text("#panel-library")


def test_a_file_over_the_limit_is_refused_in_the_page_before_sending(contexts, pack):
    page = contexts("tablet", role="admin").new_page()
    page.goto("/admin")
    page.evaluate("() => { document.getElementById('pack-form').dataset.maxBytes = '1048576';"
                  " document.getElementById('pack-form').dataset.maxMb = '1'; }")
    page.set_input_files("#pack-file", str(pack))
    sent = []
    page.on("request", lambda request: sent.append(request.url) if "library/upload" in request.url else None)
    page.click("#pack-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('pack-status').textContent.includes('1 Mo')")
    assert "dépasse la taille maximale d'un paquet" in page.inner_text("#pack-status")
    assert sent == []
