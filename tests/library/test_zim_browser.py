"""A real browser: a ZIM entry's script, whatever type the ZIM claims, cannot read a logged-in teacher's pages."""

from __future__ import annotations

import os

import pytest
from libzim.writer import Creator

from classbox.auth.users import add_user
from classbox.config import load_config
from classbox.library import import_path
from classbox.web.datadir import prepare_data_dir
from tests.e2e.harness import launch_chromium, login
from tests.helpers import LiveServer, free_port, require_apt
from tests.library.conftest import Article

TEACHER = ("prof.zim", "prof-zim-password-1")
STEAL = """
window.__stolen = "pending";
fetch("/teacher", {credentials: "include"}).then(function (r) { return r.text(); }).then(function (text) {
  var token = text.match(/name="csrf_token" value="([^"]+)"/);
  window.__stolen = token ? "TOKEN:" + token[1] : "READ:" + text.length;
}, function () { window.__stolen = "BLOCKED"; });
"""
ENTRIES = {  # path: (mimetype the ZIM claims, content whose script runs if the browser lets it)
    "piege.svg": ("image/svg+xml", f"<svg xmlns='http://www.w3.org/2000/svg'><script><![CDATA[{STEAL}]]></script></svg>"),
    "piege.xhtml": ("application/xhtml+xml", "<html xmlns='http://www.w3.org/1999/xhtml'><head><title>x</title></head>"
                                             f"<body><script><![CDATA[{STEAL}]]></script></body></html>"),
    "piege.xml": ("text/xml", "<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'><body>"
                              f"<script><![CDATA[{STEAL}]]></script></body></html>"),
    "piege-majuscules": ("TEXT/HTML", f"<!doctype html><title>x</title><script>{STEAL}</script>"),
    "piege-html": ("text/html", f"<!doctype html><title>x</title><script>{STEAL}</script>"),
}


@pytest.fixture(scope="module")
def zim_box(tmp_path_factory):
    """classbox web with a logged-in teacher's account and a ZIM of hostile entries (libzim's writer)."""
    tmp_path = tmp_path_factory.mktemp("zimbrowser")
    data = tmp_path / "data"
    config = load_config(path=os.devnull, env={}, overrides={"data_dir": data, "library.min_free_mb": 1})
    db = prepare_data_dir(config)
    try:
        add_user(db, TEACHER[0], "teacher", TEACHER[1], "Prof")
    finally:
        db.conn.close()
    zim = tmp_path / "piege.zim"
    with Creator(str(zim)) as creator:
        creator.set_mainpath("Accueil")
        creator.add_item(Article("Accueil", "Accueil", "<html><body><h1>Accueil</h1></body></html>"))
        for path, (mimetype, content) in ENTRIES.items():
            creator.add_item(Article(path, path, content, mimetype))
        for key, value in {"Name": "piege_fr", "Title": "Piège", "Language": "fra", "Description": "x",
                           "Creator": "x", "Publisher": "x", "Date": "2026-01-01"}.items():
            creator.add_metadata(key, value)
    import_path(config, zim)
    with LiveServer(data, command="web", extra_env={"CLASSBOX_DISCOVERY_ENABLED": "false",
                                                    "CLASSBOX_SYNC_ENABLED": "false"}) as server:
        yield server


@pytest.fixture(scope="module")
def teacher_page(zim_box):
    """A Chromium page with the teacher logged in."""
    from playwright.sync_api import sync_playwright

    chromium = require_apt("chromium")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium, dead_proxy_port=free_port())
        context = browser.new_context(base_url=zim_box.url)
        context.set_default_timeout(15_000)
        page = context.new_page()
        login(page, TEACHER)
        assert page.url.endswith("/teacher")
        yield page
        browser.close()


@pytest.mark.peer
@pytest.mark.parametrize("path", list(ENTRIES))
def test_a_zim_entry_cannot_read_the_teachers_page(teacher_page, path):
    response = teacher_page.goto(f"/zim/piege_fr/{path}")
    assert response.status == 200 and response.headers["content-type"].lower().startswith(ENTRIES[path][0].lower())
    teacher_page.wait_for_function("() => window.__stolen && window.__stolen !== 'pending'")  # its script ran
    assert teacher_page.evaluate("window.__stolen") == "BLOCKED"
