"""HTTPS as the app sees it behind nginx: the box's HTTPS URL, and whether cookies must be Secure."""

from __future__ import annotations

from flask import current_app, has_request_context, request


def https_url() -> str:
    """[web] https_url: the URL under a certificate every device trusts, or ""."""
    return current_app.config["CLASSBOX"]["web"]["https_url"]


def cookies_secure() -> bool:
    """Secure cookies with a trusted certificate (nginx redirects every request to HTTPS), or
    when this request came over HTTPS (the scheme nginx forwards from 127.0.0.1, proxied.py)."""
    return bool(https_url()) or (has_request_context() and request.is_secure)
