"""Who may read the box's health details: a logged-in admin, the box itself, or a monitoring token."""

from __future__ import annotations

import hmac
import ipaddress

from flask import current_app, request

from classbox.auth.decorators import current_user
from classbox.config import ConfigError, read_secret_file


def is_loopback(address: str | None) -> bool:
    """Whether a client address is the box itself (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address((address or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def monitoring_token() -> str:
    """The token of `[health] token_file` ('' when none is configured)."""
    try:
        return read_secret_file(current_app.config["CLASSBOX"]["health"]["token_file"], "[health] token_file")
    except ConfigError as err:  # an unreadable file accepts no token; the details stay closed
        current_app.logger.warning("%s", err)
        return ""


def bearer_ok() -> bool:
    """Whether the request carries the configured monitoring token as `Authorization: Bearer`."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    token = monitoring_token()
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def may_see_details() -> bool:
    """Whether this request may read the health details (data dir, interfaces, box id...)."""
    if is_loopback(request.remote_addr) or bearer_ok():
        return True
    user = current_user()
    return user is not None and user["role"] == "admin"
