"""Languages: French first, English available (Flask-Babel gettext catalogs, fr_FR formats)."""

from __future__ import annotations

from urllib.parse import urlsplit

from babel import Locale
from flask import Blueprint, Flask, redirect, request
from flask_babel import Babel, format_decimal, get_locale
from werkzeug.wrappers import Response

# Locale ids handed to Babel: translations are looked up by language ("en"), formats use the
# full locale (fr_FR: "1 234,5", "25 novembre 2026").
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
DEFAULT_LANGUAGE = "fr"
COOKIE = "classbox_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The pupil's or teacher's choice (cookie), else the browser's Accept-Language, else French."""
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LOCALES:
        return LOCALES[chosen]
    best = request.accept_languages.best_match(list(LOCALES), default=DEFAULT_LANGUAGE)
    return LOCALES[best]


def current_language() -> str:
    """The two-letter language of this request ("fr" or "en"), for <html lang>."""
    locale = get_locale()
    return locale.language if isinstance(locale, Locale) else DEFAULT_LANGUAGE


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
        response.set_cookie(COOKIE, language, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return response


def init_i18n(app: Flask) -> None:
    """Bind Flask-Babel (French default, Europe/Paris) and the language switch to the app."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LOCALES[DEFAULT_LANGUAGE])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.jinja_env.filters["number"] = lambda value, fmt=None: format_decimal(value, format=fmt)

    @app.context_processor
    def _language() -> dict:
        other = "en" if current_language() == "fr" else "fr"
        return {"lang": current_language(), "other_lang": other,
                "languages": {"fr": "Français", "en": "English"}}
