"""A real browser: an HTML lesson's script cannot touch the pupil's page around it."""

from __future__ import annotations

import os
import subprocess

import pytest

from classbox.library import import_path
from tests.helpers import LiveServer, require_apt
from tests.library.conftest import manifest, write_folder

HOSTILE = b"""<!doctype html><title>Lecon</title><p>Bonjour</p>
<script>
try { parent.document.title = "PWNED-TITLE"; } catch (e) {}
try { parent.document.body.insertAdjacentHTML("beforeend", "<p>PWNED-BODY</p>"); } catch (e) {}
try { document.cookie; fetch("/api/library").then(function () { parent.document.title = "PWNED-FETCH"; }); } catch (e) {}
try { top.location = "/pwned-navigation"; } catch (e) {}
</script>"""


@pytest.mark.peer
def test_hostile_lesson_cannot_reach_the_parent_page(lib_config, tmp_path):
    chromium = require_apt("chromium")
    resources = [{"path": "lecon.html", "title": "Leçon piégée", "kind": "html"}]
    import_path(lib_config, write_folder(tmp_path / "pack", manifest(id="piege", resources=resources),
                                         {"lecon.html": HOSTILE}))
    from classbox.library.packs import resource_id

    with LiveServer(lib_config.data_dir, command="web") as server:
        url = f"{server.url}/library/{resource_id('piege', 'lecon.html')}"
        result = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    dom = result.stdout
    assert "Leçon piégée" in dom and "<iframe" in dom  # the page loaded, with the lesson in it
    assert "PWNED" not in dom
    assert "pwned-navigation" not in dom and "Page introuvable" not in dom
