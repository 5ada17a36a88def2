"""Checks of config values that their type alone does not make: a known time zone, an HTTPS origin."""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def timezone_problem(name: str) -> str | None:
    """An IANA time zone the system knows (Europe/Paris, America/Cayenne, Indian/Reunion…)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"[box] timezone: unknown time zone {name!r} (e.g. 'Europe/Paris')"
    return None


def https_url_problem(url: str) -> str | None:
    """Empty, or an https:// origin: what /connect, its QR code and mDNS give every device."""
    if not url:
        return None
    parts = urlsplit(url)
    try:
        valid = (parts.scheme == "https" and bool(parts.hostname) and parts.port != 0 and " " not in url
                 and parts.path in ("", "/") and not (parts.query or parts.fragment or parts.username))
    except ValueError:  # a port that is not a number
        valid = False
    if valid:
        return None
    return f"[web] https_url: {url!r} is not an https:// origin (e.g. 'https://ecole.ecoles.example.fr/')"


def value_problems(config: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per invalid value, for ConfigError."""
    found = [timezone_problem(config["box"]["timezone"]), https_url_problem(config["web"]["https_url"])]
    return [problem for problem in found if problem]
