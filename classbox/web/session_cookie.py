"""The Flask cookie session, with its signing serializer built once per key instead of per request.

Flask-SocketIO pushes a request context for every Socket.IO event, and Flask opens the session
cookie each time: building the serializer (which test-serializes an empty dict) was a measurable
part of each pupil's answer. Same cookies, same keys, same checks; only the object is reused.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from classbox.web.https import cookies_secure


class CachedSerializerSessionInterface(SecureCookieSessionInterface):
    """SecureCookieSessionInterface that keeps the serializer while the keys are unchanged, and
    marks the cookie Secure whenever HTTPS carries it (classbox/web/https.py)."""

    def __init__(self) -> None:
        self._cached: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._cached
        if cached is None or cached[0] != keys:
            cached = self._cached = (keys, super().get_signing_serializer(app))
        return cached[1]

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or cookies_secure()
