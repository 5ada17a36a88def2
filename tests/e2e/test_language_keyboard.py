"""French first, English on request; the pupil's way in works with a keyboard alone."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.peer


def test_an_english_browser_gets_english_and_can_switch_to_french(contexts, report):
    page = contexts("tablet", language="en-GB").new_page()
    page.goto("/")
    assert page.get_attribute("html", "lang") == "en"
    assert "Join the class" in page.inner_text("main")
    assert report.check_accessible(page, "home in English (tablet)") == []
    page.click("text=Français")
    assert page.get_attribute("html", "lang") == "fr"
    assert page.url.endswith("/")
    page.goto("/library")
    assert page.get_attribute("html", "lang") == "fr", "the choice outlives the page"


def test_skip_link_and_join_form_work_with_the_keyboard(contexts):
    page = contexts("phone").new_page()
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    assert page.evaluate("() => document.activeElement.getBoundingClientRect().left >= 0"), "visible on focus"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "contenu"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "code":
            break
    assert page.evaluate("() => document.activeElement.id") == "code"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is visible"
    page.keyboard.type("ABC123")
    page.keyboard.press("Enter")
    page.wait_for_url("**/join**")
    assert "ABC123" in page.url.upper()
