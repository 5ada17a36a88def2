"""One language per page in Chromium: the page's language wins over what the WebSocket handshake says."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_classroom_flow import join_by_code, open_session

pytestmark = pytest.mark.peer


def french_documents_only(route) -> None:
    """Pages are asked for in French; everything else (scripts, XHR, the WebSocket) keeps en-US."""
    if route.request.resource_type == "document":
        route.continue_(headers={**route.request.headers, "accept-language": "fr-FR,fr;q=0.9"})
    else:
        route.continue_()


def paris_titles() -> set[str]:
    """The default title opened now or a minute ago (the click may straddle a minute), Paris time."""
    now = datetime.now(ZoneInfo("Europe/Paris"))
    return {f"Séance du {(now - timedelta(minutes=m)):%d/%m/%Y %H:%M}" for m in (0, 1)}


def test_a_french_page_speaks_french_over_a_socket_whose_handshake_says_english(contexts):
    # The browser's locale and every request say en-US, as Debian's Chromium did on WebSockets;
    # only the pages are asked for in French. The socket must follow the page.
    context = contexts("tablet", language="en-US", role="teacher", service_workers="block")
    context.route("**/*", french_documents_only)
    teacher = context.new_page()
    websockets = []
    teacher.on("websocket", lambda ws: websockets.append(ws.url))
    teacher.goto("/teacher")
    assert teacher.get_attribute("html", "lang") == "fr"
    teacher.click("#open-session")  # no title: the box names the session after the date
    teacher.wait_for_url(re.compile(r"/teacher/sessions/[A-Z0-9]{6}$"))
    assert teacher.inner_text("#session-title").strip() in paris_titles()
    assert any(url.startswith("ws://") for url in websockets), "the dashboard talks over a WebSocket"

    code = teacher.inner_text("#join-code").strip()
    lea = contexts("phone").new_page()
    join_by_code(lea, code, "Léa")
    teacher.wait_for_function("() => document.querySelector('#pupil-count').textContent.startsWith('1 connecté')")
    teacher.click("#pupil-list button[data-action=rename]")
    teacher.fill("#pupil-list input.rename-input", "\u3164")
    teacher.keyboard.press("Enter")
    teacher.wait_for_function("() => document.querySelector('#pupil-list .rename-error').textContent"
                              " === 'Ce prénom ne contient aucun caractère visible.'")


def test_an_english_page_speaks_english_over_a_socket_whose_handshake_says_french(contexts):
    code = open_session(contexts("tablet", role="teacher").new_page())
    context = contexts("phone", language="fr-FR", service_workers="block")
    context.route("**/*", lambda route: route.continue_(
        headers={**route.request.headers, "accept-language": "en-GB,en;q=0.9"})
        if route.request.resource_type == "document" else route.continue_())
    pupil = context.new_page()
    pupil.goto(f"/join/{code}")
    assert pupil.get_attribute("html", "lang") == "en"
    pupil.fill("#pupil-name", "\u3164")
    pupil.click("#join-button")
    pupil.wait_for_function("() => document.querySelector('#join-error').textContent"
                            " === 'This name has no visible character.'")
