"""Every page speaks English when asked: no French text outside gettext, a complete catalog."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from classbox.demo import DEMO_PACK
from classbox.library import import_path
from classbox.web.i18n import js_messages
from tests.helpers import QUIZ_SPEC, ack

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "classbox" / "templates"
CATALOG = ROOT / "classbox" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
# Words of the page that are not French text: names, formats, the link back to French.
NOT_FRENCH = {"classbox", "CSV", "JSON", "Français", "“élève”"}
FRENCH_WORD = re.compile(
    r"[àâçéèêëîïôûùœ]|\b(?:le|la|les|des|du|une|est|et|pour|avec|sur|dans|vous|ton|ta|tes|aucune?|"
    r"pas|depuis|envoyer|rejoindre|rechercher|séance|élèves?|réponse|bibliothèque)\b", re.IGNORECASE)
SHOWN_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label", "data-sending", "data-sent",
                    "data-waiting", "data-rejected")


def _catalog():
    with CATALOG.open("rb") as handle:
        return read_po(handle)


class VisibleText(HTMLParser):
    """The text a person can see or hear in a page: text nodes and the attributes read aloud."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.dictionary: dict | None = None
        self._skip = 0
        self._json = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "style", "pre"):  # pre: a text resource's own content
            self._skip += 1
            self._json = attributes.get("id") == "classbox-i18n"
        for name in SHOWN_ATTRIBUTES:
            if attributes.get(name):
                self.texts.append(attributes[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "pre"):
            self._skip -= 1
            self._json = False

    def handle_data(self, data):
        if self._json:
            self.dictionary = json.loads(data)
        elif not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def visible(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


# --- the templates themselves: no text outside {{ _() }} --------------------------------------

def _template_leftovers(source: str) -> list[str]:
    """Words of a template that reach the page without going through gettext."""
    found = []
    stripped = re.sub(r"{#.*?#}|{% block body_class %}.*?{% endblock %}", "", source, flags=re.S)
    for match in re.finditer(r"\b(?:%s)=\"([^\"]*)\"" % "|".join(SHOWN_ATTRIBUTES), stripped):
        value = re.sub(r"{{.*?}}|{%.*?%}", "", match.group(1))
        if re.search(r"[A-Za-zÀ-ÿ]{2,}", value):
            found.append(match.group(0))
    text = re.sub(r"{{.*?}}|{%.*?%}", " ", stripped, flags=re.S)
    text = re.sub(r"<(script|style|code)\b.*?</\1>", " ", text, flags=re.S)  # code: config keys
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    found += [word for word in re.findall(r"[A-Za-zÀ-ÿ][\wÀ-ÿ'’-]*", text) if word not in NOT_FRENCH]
    # Jinja string literals shown as such ('ouverte' if … else 'terminée') must be wrapped too.
    for block in re.findall(r"{{.*?}}", stripped, flags=re.S):
        unwrapped = re.sub(r"_\(\s*(['\"]).*?\1", "", block)
        found += [m for m in re.findall(r"'([^'{}]*[àâçéèêîôûù][^'{}]*)'|\"([^\"{}]*[àâçéèêîôûù][^\"{}]*)\"",
                                        unwrapped) if any(m)]
    return found


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_templates_show_no_text_outside_gettext(template):
    leftovers = _template_leftovers((TEMPLATES / template).read_text(encoding="utf-8"))
    assert leftovers == [], f"{template}: wrap these in {{{{ _('…') }}}}: {leftovers}"


def test_the_template_check_finds_unwrapped_text():
    assert _template_leftovers('<p>Bonjour <b>{{ name }}</b></p>') == ["Bonjour"]
    assert _template_leftovers('<img alt="Carte de France" src="x">') == ['alt="Carte de France"']
    assert _template_leftovers("<td>{{ 'ouverte' if open else 'terminée' }}</td>") != []
    assert _template_leftovers("<p>{{ _('Bonjour %(n)s', n=name) }}</p>{# un commentaire #}") == []


# --- the catalog: complete, consistent, compiled ---------------------------------------------

def test_the_english_catalog_has_no_untranslated_fuzzy_or_broken_message():
    catalog = _catalog()
    messages = [m for m in catalog if m.id]
    assert len(messages) > 300
    assert [m.id for m in messages if not m.string] == []
    assert [m.id for m in messages if m.fuzzy] == []
    assert not catalog.obsolete, "run pybabel update with --ignore-obsolete (docs/i18n.md)"
    broken = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert broken == [], "placeholders must match between French and English"


def test_the_scripts_get_their_english_strings_from_the_page(app, client):
    scripts = js_messages(str(app.static_folder))
    assert "Connexion perdue… reconnexion en cours." in scripts and "Choisis une réponse." in scripts
    french = visible(client.get("/").get_data(as_text=True))
    assert french.dictionary == {}, "French pages carry no dictionary: the scripts' text is French"
    english = visible(client.get("/", headers=ENGLISH).get_data(as_text=True))
    catalog = {message.id: message.string for message in _catalog() if message.id}
    assert set(scripts) <= set(catalog), "every script string is in the English catalog"
    assert set(english.dictionary) == {m for m in scripts if catalog[m] != m}, "each translated one reaches the page"
    assert english.dictionary["Choisis une réponse."] == "Choose an answer."
    assert english.dictionary["%(online)s connecté(s) sur %(total)s"] == "%(online)s online out of %(total)s"


# --- every page, rendered in English ------------------------------------------------------------

@pytest.fixture
def english_pages(app, client, admin, login, teacher_sio, pupil):
    """Every page of the box, rendered for an English browser: {path: html}."""
    teacher, code = teacher_sio
    import_path(app.config["CLASSBOX"], DEMO_PACK)
    pupil(code, "Léa")
    assert ack(teacher, "push", dict(QUIZ_SPEC))["ok"]
    resources = [item["url"] for item in client.get("/api/library").get_json()["items"]]
    paths = ["/", "/library", "/library?q=eau", "/library?q=zzzzzz", f"/join/{code}", "/join/ZZZZZZ",
             "/teacher", f"/teacher/sessions/{code}", f"/teacher/sessions/{code}/projector", "/connect",
             "/nope", *resources]
    pages = {path: client.get(path, headers=ENGLISH) for path in paths}
    login(admin)
    pages.update({path: client.get(path, headers=ENGLISH) for path in ("/admin", "/admin/teachers")})
    client.post("/logout", headers=ENGLISH)
    pages["/login"] = client.get("/login", headers=ENGLISH)
    return {path: response.get_data(as_text=True) for path, response in pages.items()}


def _data_strings(app) -> set[str]:
    """French text that is content, not interface: the demo pack and the session's title."""
    from contextlib import closing

    from classbox.storage import open_database

    with closing(open_database(app.config["CLASSBOX"].data_dir)) as db:
        rows = db.execute("SELECT title, description, license, attribution FROM resource").fetchall()
        packs = [row[0] for row in db.execute("SELECT title FROM pack").fetchall()]
    return {value for row in rows for value in row if value} | set(packs) | {"CM1 fractions", "Léa"}


def test_every_page_is_in_english_when_asked(app, english_pages):
    catalog = {m.id: m.string for m in _catalog() if m.id and m.string != m.id}
    data = _data_strings(app)
    problems = {}
    for path, html in english_pages.items():
        assert '<html lang="en">' in html, path
        found = []
        for text in visible(html).texts:
            if text in NOT_FRENCH:
                continue
            if text in catalog:
                found.append(f"untranslated: {text!r}")
                continue
            rest = text
            for value in sorted(data | NOT_FRENCH, key=len, reverse=True):
                rest = rest.replace(value, " ")
            if FRENCH_WORD.search(rest):
                found.append(text)
        if found:
            problems[path] = found
    assert problems == {}


def test_english_pages_show_the_english_words(english_pages):
    assert "Join the class" in english_pages["/"]
    assert "Your first name or a nickname" in english_pages[next(p for p in english_pages if p.startswith("/join/"))]
    assert "Send to the pupils" in english_pages[next(p for p in english_pages if p.startswith("/teacher/sessions/")
                                                        and not p.endswith("projector"))]
    assert "Search for a resource" in english_pages["/library"]
    assert "Status: " in english_pages["/admin"] and "Teacher accounts" in english_pages["/admin"]
    assert "This code does not match any session" in english_pages["/join/ZZZZZZ"]


def test_flash_messages_and_pupil_errors_follow_the_language(app, client, admin, login, teacher_sio,
                                                            socketio_client):
    login(admin)
    bad = {"login": "Bad Login!", "role": "teacher"}
    english = client.post("/admin/teachers", data=bad, headers=ENGLISH).get_data(as_text=True)
    assert "Account not created: login: 2 to 64 characters" in english
    french = client.post("/admin/teachers", data=bad).get_data(as_text=True)
    assert "Compte non créé : identifiant : 2 à 64 caractères" in french
    taken = {"login": admin[0], "role": "teacher", "password": "x" * 12}
    assert f"the login {admin[0]} already exists" in \
        client.post("/admin/teachers", data=taken, headers=ENGLISH).get_data(as_text=True)
    assert f"l&#39;identifiant {admin[0]} existe déjà" in \
        client.post("/admin/teachers", data=taken).get_data(as_text=True)
    short = client.post("/admin/teachers", data={"login": "m.durand", "role": "teacher", "password": "court"})
    assert "mot de passe trop court : 8 caractères au moins" in short.get_data(as_text=True)
    _, code = teacher_sio
    answers = {}
    for language in ("fr", "en"):
        device = app.test_client()
        device.set_cookie("classbox_lang", language)
        answers[language] = ack(socketio_client(flask_client=device), "join", {"code": code, "name": "\u3164"})
    assert answers["fr"]["error"] == answers["en"]["error"] == "invalid_name"
    assert answers["fr"]["message"] == "Ce prénom ne contient aucun caractère visible."
    assert answers["en"]["message"] == "This name has no visible character."
    # `submit` runs outside Flask's request context: its refusals still follow the device's language.
    refused = {}
    for language in ("fr", "en"):
        device = app.test_client()
        device.set_cookie("classbox_lang", language)
        refused[language] = ack(socketio_client(flask_client=device), "submit",
                                {"activity_id": "x", "submission_id": "y", "answer": 1})
    assert refused["fr"]["error"] == refused["en"]["error"] == "not_joined"
    assert refused["fr"]["message"] == "Rejoignez d'abord une séance."
    assert refused["en"]["message"] == "Join a session first."


def test_admin_dates_numbers_and_sizes_follow_the_language(app):
    from classbox.health.admin import size_filter
    from classbox.web.i18n import duration, when

    with app.test_request_context("/"):
        assert when(1764115200) == "26/11/2025 01:00"  # Europe/Paris, fr_FR short format
        assert size_filter(1536 * 1024) == "1,5 Mo" and duration(5400) == "1,5 h" and duration(3 * 86400) == "3,0 j"
        assert when(None) == "jamais"
    with app.test_request_context("/", headers=ENGLISH):
        assert when(1764115200) == "26/11/2025, 01:00"
        assert size_filter(1536 * 1024) == "1.5 MB" and duration(5400) == "1.5 h" and duration(3 * 86400) == "3.0 d"
        assert when(None) == "never"


def test_stored_health_alerts_are_shown_in_the_page_language(app):
    from classbox.health import alerts
    from classbox.health.admin import alert_text_filter, alert_title_filter
    from classbox.web.i18n import N_

    disk = alerts.alert("disk", "Disque", "warn", (N_("Disque des données rempli à %(percent)s %% "
                                                              "(%(free)s Go libres)"), {"percent": 93, "free": 1.5}), 93, 0)
    assert disk["message"] == "Disque des données rempli à 93 % (1.5 Go libres)"  # as stored, for the API
    stored = json.loads(json.dumps(disk))
    older = {"id": "x", "title": "Horloge", "message": "Horloge synchronisée"}
    with app.test_request_context("/"):
        assert alert_text_filter(stored) == "Disque des données rempli à 93 % (1,5 Go libres)"
    with app.test_request_context("/", headers=ENGLISH):
        assert alert_text_filter(stored) == "Data disk 93% full (1.5 GB free)"
        assert alert_title_filter(stored) == "Disk"
        assert alert_text_filter(older) == "Clock synchronised" and alert_title_filter(older) == "Clock"
        assert alert_text_filter(dict(stored, message_args={"oops": 1})) == stored["message"]
