"""Languages: French first, English available (Flask-Babel gettext catalogs, fr_FR formats)."""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel import Locale
from babel.messages.extract import extract_javascript
from flask import Blueprint, Flask, has_request_context, redirect, request
from flask_babel import Babel, format_datetime, format_decimal, get_locale, gettext
from werkzeug.wrappers import Response

from classbox.web.i18n_marks import N_  # noqa: F401  (re-exported for the web code)
from classbox.web.https import cookies_secure

# Locale ids handed to Babel: translations are looked up by language ("en"), formats use the
# full locale (fr_FR: "1 234,5", "25 novembre 2026").
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
DEFAULT_LANGUAGE = "fr"
COOKIE = "classbox_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The pupil's or teacher's choice (cookie), else the browser's Accept-Language, else French."""
    if not has_request_context():  # CLI and agent work in an app context: French
        return LOCALES[DEFAULT_LANGUAGE]
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LOCALES:
        return LOCALES[chosen]
    best = request.accept_languages.best_match(list(LOCALES), default=DEFAULT_LANGUAGE)
    return LOCALES[best]


def socket_locale(auth: Any) -> str:
    """A Socket.IO connection's locale: the cookie, else the language its page was rendered in, else French.

    The page sends its `<html lang>` in the connection's auth ({"lang": "fr"}). A handshake's
    Accept-Language is never used: browsers do not always send the page's on a WebSocket.
    """
    chosen = request.cookies.get(COOKIE, "") if has_request_context() else ""
    page = auth.get("lang") if isinstance(auth, dict) else None
    for language in (chosen, page):
        if isinstance(language, str) and language in LOCALES:
            return LOCALES[language]
    return LOCALES[DEFAULT_LANGUAGE]


def current_language() -> str:
    """The two-letter language of this request ("fr" or "en"), for <html lang>."""
    locale = get_locale()
    return locale.language if isinstance(locale, Locale) else DEFAULT_LANGUAGE


@functools.lru_cache(maxsize=4)
def js_messages(static_dir: str) -> tuple[str, ...]:
    """Every `_("…")` string of the box's own scripts (vendor/ excepted), found like pybabel does."""
    found: set[str] = set()
    for script in sorted(Path(static_dir).rglob("*.js")):
        if "vendor" in script.parts:
            continue
        with script.open("rb") as handle:
            for _line, _func, message, _comments in extract_javascript(handle, ["_"], [], {}):
                found.add(message if isinstance(message, str) else message[0])
    return tuple(sorted(found))


def js_catalog(static_dir: str) -> dict[str, str]:
    """The translations the page's scripts need: {French source: text}, only where they differ."""
    translated = ((message, gettext(message)) for message in js_messages(static_dir))
    return {message: text for message, text in translated if text != message}


def when(epoch: float | None) -> str:
    """A Unix time as a short date and time in the page's language ("jamais" when unknown)."""
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool) or epoch <= 0:
        return gettext("jamais")
    return format_datetime(datetime.fromtimestamp(epoch, timezone.utc), "short")


def duration(seconds: float | None, fine: bool = False) -> str:
    """A duration in words (min, h, j) in the page's language; `fine`: seconds under 2 min, minutes under 2 h."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return gettext("inconnue")
    if fine and seconds < 120:
        return gettext("%(n)s s", n=format_decimal(round(seconds)))
    if seconds < (7200 if fine else 3600):
        return gettext("%(n)s min", n=format_decimal(round(seconds / 60)))
    if seconds < 86400 * 2:
        return gettext("%(n)s h", n=format_decimal(seconds / 3600, format="0.0"))
    return gettext("%(n)s j", n=format_decimal(seconds / 86400, format="0.0"))


def _safe_next(target: str | None) -> str:
    """Only return to a path on this box."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc or "\\" in target else target


@bp.route("/lang/<language>")
def choose_language(language: str) -> Response:
    """Remember a language choice in a cookie and go back to the page it was made on."""
    response = redirect(_safe_next(request.args.get("next")))
    if language in LOCALES:
        response.set_cookie(COOKIE, language, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                            secure=cookies_secure())
    return response


def init_i18n(app: Flask) -> None:
    """Bind Flask-Babel (French default, the box's time zone) and the language switch to the app."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LOCALES[DEFAULT_LANGUAGE])
    box = app.config.get("CLASSBOX", {}).get("box", {})
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", box.get("timezone") or "Europe/Paris")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters["number"] = lambda value, fmt=None: format_decimal(value, format=fmt)
    app.jinja_env.filters["translated"] = lambda value: gettext(str(value))  # a label marked with N_()
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["duration"] = duration

    @app.context_processor
    def _language() -> dict:
        other = "en" if current_language() == "fr" else "fr"
        return {"lang": current_language(), "other_lang": other,
                "languages": {"fr": "Français", "en": "English"},
                "js_strings": lambda: js_catalog(str(app.static_folder))}
