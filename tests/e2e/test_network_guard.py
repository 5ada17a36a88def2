"""The offline guarantee: the pages ask nothing of any host but the box, and the guard can tell."""

from __future__ import annotations

import pytest

from tests.e2e.harness import NetworkLog, new_context

pytestmark = pytest.mark.peer


def test_the_guard_flags_a_request_to_another_host_and_nothing_leaves(browser, box):
    log = NetworkLog(box.url)
    context = new_context(browser, box.url, "phone", "fr-FR", log)
    page = context.new_page()
    page.goto("/")
    page.evaluate("""() => new Promise(done => { const img = new Image();
        img.onload = img.onerror = () => done(); img.src = 'http://cdn.example.invalid/logo.png'; })""")
    context.close()
    assert log.foreign() == ["http://cdn.example.invalid/logo.png"]
    with pytest.raises(AssertionError, match="cdn.example.invalid"):
        log.assert_only_box()


def test_the_guard_accepts_the_box_and_local_schemes(box):
    log = NetworkLog(box.url)
    for url in (box.url + "/", box.url.replace("http", "ws") + "/socket.io/?EIO=4", "data:image/png;base64,AA==",
                "blob:" + box.url + "/1234", "about:blank"):
        log.record(url)
    assert log.foreign() == []
    log.record("http://127.0.0.1:1/other-port")
    assert log.foreign() == ["http://127.0.0.1:1/other-port"]
