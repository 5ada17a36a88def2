"""End-to-end fixtures: one `classbox serve --demo`, one headless Chromium, a context per role.

Every request any page makes is recorded; a request to a host other than the box fails the
test that made it. Screenshots and the pages report go to docs/ when CI=true or
CLASSBOX_E2E_DOCS=1 (so that a developer's `make test` does not rewrite tracked files), else to
build/e2e/.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from filelock import FileLock

from classbox.auth.users import add_user
from classbox.web.datadir import prepare_data_dir
from tests.e2e.countproxy import CountingRelay
from tests.e2e.harness import Box, NetworkLog, PagesReport, launch_chromium, login, new_context
from tests.helpers import IS_ROOT, LiveServer, free_port, make_config, require_apt
from tests.parallel import run_folder

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
TEACHER = ("e2e.prof", "prof-e2e-password-1")
ADMIN = ("e2e.tech", "tech-e2e-password-1")


def artifacts_dir() -> Path:
    """docs/ (CI, or asked for) or build/e2e/ (a developer's run)."""
    to_docs = os.environ.get("CI", "").lower() in {"1", "true", "yes"} or os.environ.get("CLASSBOX_E2E_DOCS") == "1"
    return ROOT / "docs" if to_docs else ROOT / "build" / "e2e"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium (installed through apt when missing; never a downloaded browser)."""
    path = require_apt("chromium")
    assert IS_ROOT or path, "chromium is needed"
    return path


@pytest.fixture(scope="session")
def playwright_driver():
    """The run's one Playwright driver (a second sync driver cannot start while one runs)."""
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(chromium_path, playwright_driver):
    """One headless Chromium for the whole run; traffic to any other host goes to a dead proxy."""
    chromium = launch_chromium(playwright_driver, chromium_path, dead_proxy_port=free_port())
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def box(tmp_path_factory) -> Box:
    """`classbox serve --demo` on a free port, with a known teacher and admin."""
    data = tmp_path_factory.mktemp("e2e") / "data"
    config = make_config(data)
    db = prepare_data_dir(config)
    try:
        add_user(db, TEACHER[0], "teacher", TEACHER[1], "Mme Durand")
        add_user(db, ADMIN[0], "admin", ADMIN[1], "Technicien")
    finally:
        db.conn.close()
    import_video_pack(config, data.parent / "pack")
    server = LiveServer(data, args=("--demo",), extra_env={
        "CLASSBOX_DISCOVERY_ENABLED": "false", "CLASSBOX_SYNC_ENABLED": "false"})
    # The H5P player's site: the same box as "localhost" (another site than 127.0.0.1, as a box's
    # IP is for its name), through a relay that counts what reaches the server.
    player = CountingRelay(server.port).start()
    h5p_origin = f"http://localhost:{player.port}"
    server.env["CLASSBOX_LIBRARY_H5P_ORIGIN"] = h5p_origin
    server.start()
    yield Box(url=server.url, data_dir=data, teacher=TEACHER, admin=ADMIN, server=server, player=player,
              h5p_origin=h5p_origin)
    server.stop()
    player.stop()


def import_video_pack(config, folder: Path) -> None:
    """A pack with one video (tests/e2e/fixtures/mire-8s.webm), through the library's importer."""
    from classbox import library

    importer = getattr(library, "import_path", None)
    if importer is None:  # the library has not landed in this branch yet
        return
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "mire-8s.webm", folder / "mire-8s.webm")
    (folder / "classbox-pack.json").write_text(json.dumps({
        "format": "classbox-pack/1", "id": "e2e-video", "version": "1.0", "title": "Vidéos de test",
        "language": "fr", "publisher": "classbox", "license": "CC0-1.0",
        "resources": [{"path": "mire-8s.webm", "title": "La mire qui tourne", "kind": "video",
                       "description": "Huit secondes de mire, pour tester la lecture.",
                       "subject": "sciences", "level": "cycle3"}]}), encoding="utf-8")
    importer(config, folder)


@pytest.fixture(scope="session")
def report(pytestconfig):
    """Page weights, axe results and screenshots of the run, written at the end (under xdist,
    each worker's part joined to the others' in the run's temporary folder)."""
    pages = PagesReport(artifacts_dir())
    yield pages
    shared = run_folder(pytestconfig)
    if shared is None:
        pages.write()
        return
    with FileLock(shared / "pages-report.lock"):
        pages.merge_parts(shared / "pages-report", os.environ["PYTEST_XDIST_WORKER"])
        pages.write()


@pytest.fixture
def network(box):
    """The requests of this test's pages; any host but the box fails the test at teardown."""
    log = NetworkLog(box.url, box.h5p_origin)
    yield log
    log.assert_only_box()


@pytest.fixture(scope="session")
def signed_in_states(browser, box) -> dict:
    """Cookies of a logged-in teacher and admin, made once: {"teacher": state, "admin": state}."""
    states = {}
    for role in ("teacher", "admin"):
        log = NetworkLog(box.url)
        context = new_context(browser, box.url, "tablet", "fr-FR", log)
        page = context.new_page()
        login(page, getattr(box, role))
        assert "/login" not in page.url, f"{role} could not log in"
        states[role] = context.storage_state()
        context.close()
        log.assert_only_box()
    return states


@pytest.fixture
def contexts(browser, box, network, signed_in_states):
    """make(size="tablet", language="fr-FR", role=None) -> a fresh context, closed after the test."""
    made = []

    def make(size: str = "tablet", language: str = "fr-FR", role: str | None = None, **options):
        if role:
            options["storage_state"] = signed_in_states[role]
        context = new_context(browser, box.url, size, language, network, **options)
        made.append(context)
        return context
    yield make
    for context in made:
        context.close()
