"""Teachers' and admins' pages carry a script policy and cannot be framed by another site."""

from __future__ import annotations

import pytest

from tests.helpers import free_port

pytestmark = pytest.mark.peer

PAGES = [("/teacher", "teacher", "Tableau de bord"), ("/admin", "admin", "Administration"),
         ("/admin/teachers", "admin", ""), ("/login", None, "Espace enseignant"), ("/", None, "Rejoindre")]


@pytest.mark.parametrize("path,who,text", PAGES, ids=[p[0] for p in PAGES])
def test_page_sends_a_script_policy_and_refuses_framing(contexts, path, who, text):
    page = contexts(role=who).new_page()
    response = page.goto(path)
    assert response.ok and text in page.inner_text("main")
    policy = response.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives.get("script-src") == ["'self'"], policy
    assert directives.get("frame-ancestors") == ["'none'"], policy
    assert "'unsafe-inline'" not in policy


@pytest.mark.parametrize("path,who", [("/teacher", "teacher"), ("/admin", "admin")])
def test_another_page_cannot_frame_a_logged_in_page(browser, box, signed_in_states, path, who):
    """A page of another origin on the same host (another port: the cookie still goes) framing the page."""
    context = browser.new_context(storage_state=signed_in_states[who])
    try:
        check = context.new_page()
        check.goto(box.url + path)
        assert "/login" not in check.url and "csrf_token" in check.content()  # a frame would show this
        elsewhere = f"http://127.0.0.1:{free_port()}"
        page = context.new_page()
        page.route(f"{elsewhere}/piege", lambda route: route.fulfill(
            content_type="text/html", body=f"<!doctype html><iframe src='{box.url}{path}'></iframe>"))
        page.goto(f"{elsewhere}/piege", wait_until="load")  # 'load' waits for the frame, shown or refused
        framed = [frame for frame in page.frames if frame != page.main_frame]
        assert len(framed) == 1
        assert "csrf_token" not in framed[0].content()
    finally:
        context.close()
