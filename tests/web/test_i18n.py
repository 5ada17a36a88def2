"""French first, English on request: Accept-Language, a remembered choice, catalogs, fr_FR formats."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import format_date, format_decimal

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "classbox" / "translations" / "en" / "LC_MESSAGES"


def test_pages_are_french_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Rejoindre la classe" in page
    assert 'hreflang="en">English</a>' in page


@pytest.mark.parametrize("header,language,text", [
    ("en-GB,en;q=0.9", "en", "Join the class"),
    ("en-US", "en", "Join the class"),
    ("de-DE,de;q=0.9", "fr", "Rejoindre la classe"),
    ("fr-FR,fr;q=0.9,en;q=0.5", "fr", "Rejoindre la classe"),
    ("en;q=0.3,fr;q=0.8", "fr", "Rejoindre la classe"),
    ("!!garbage;;q=x", "fr", "Rejoindre la classe"),
])
def test_language_follows_the_browser(client, header, language, text):
    page = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    assert text in page


def test_a_chosen_language_is_remembered_over_the_browser(client):
    response = client.get("/lang/en?next=/library")
    assert response.status_code == 302
    assert response.headers["Location"] == "/library"
    assert "classbox_lang=en" in response.headers["Set-Cookie"]
    page = client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Welcome to the classbox" in page
    client.get("/lang/fr?next=/")
    assert "Bienvenue sur la classbox" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", ""])
def test_the_language_switch_never_leaves_the_box(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_ignored(client):
    response = client.get("/lang/xx?next=/")
    assert response.status_code == 302
    assert "Set-Cookie" not in response.headers
    client.set_cookie("classbox_lang", "zz")  # a tampered cookie falls back to the header
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)


def test_error_pages_and_messages_are_translated(client, teacher):
    assert "Page introuvable" in client.get("/nope").get_data(as_text=True)
    english = client.get("/nope", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Page not found" in english and "Back to the home page" in english
    failed = client.post("/login", data={"login": teacher[0], "password": "wrong"},
                         headers={"Accept-Language": "en"})
    assert "Wrong login or password." in failed.get_data(as_text=True)
    api = client.get("/api/nope", headers={"Accept-Language": "en"})
    assert api.status_code == 404 and api.is_json


def test_dates_and_numbers_are_in_fr_FR_by_default(app):
    with app.test_request_context("/"):
        assert format_decimal(1234567.5) == "1\u202f234\u202f567,5"
        assert format_date(datetime.date(2026, 11, 25), format="long") == "25 novembre 2026"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert format_decimal(1234567.5) == "1,234,567.5"
        assert format_date(datetime.date(2026, 11, 25), format="long") == "25 November 2026"


def test_the_number_filter_formats_in_the_page_language(app):
    with app.test_request_context("/"):
        assert app.jinja_env.from_string("{{ 1500 | number }}").render() == "1\u202f500"


def test_the_committed_binary_catalog_matches_its_source():
    with (CATALOG / "messages.po").open("rb") as po, (CATALOG / "messages.mo").open("rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    expected = {m.id: m.string for m in source if m.id and m.string and not m.fuzzy}
    actual = {m.id: m.string for m in compiled if m.id}
    assert actual == expected, "run `pybabel compile -d classbox/translations` (see docs/i18n.md)"


def test_every_string_marked_for_translation_has_an_english_translation():
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
    marked = {message for _, _, message, _, _ in
              extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)}
    marked = {m if isinstance(m, str) else m[0] for m in marked}
    with (CATALOG / "messages.po").open("rb") as po:
        catalog = {m.id: m.string for m in read_po(po) if m.id}
    missing = sorted(m for m in marked if not catalog.get(m))
    assert not missing, f"untranslated strings (see docs/i18n.md): {missing}"
