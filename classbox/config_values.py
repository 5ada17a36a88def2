"""Checks of config values that their type alone does not make: a known time zone, an HTTPS origin,
the dates of a class's school year."""

from __future__ import annotations

import datetime
import re

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


MAX_ARCHIVE_DAYS = 183  # a class is archived within the last half of its school year


def _month_day(text: str) -> datetime.date | None:
    """An MM-DD day of a non-leap year (29 February does not come every year)."""
    if not re.fullmatch(r"\d\d-\d\d", text):
        return None
    try:
        return datetime.date(2001, int(text[:2]), int(text[3:]))
    except ValueError:
        return None


def school_year_problem(year_end: str, archive: str) -> str | None:
    """Two MM-DD days: the end of the school year, and the archive day a little before it."""
    end, start = _month_day(year_end), _month_day(archive)
    if end is None:
        return f"[privacy] class_year_end: {year_end!r} is not a day MM-DD (e.g. '08-31')"
    if start is None:
        return f"[privacy] class_archive: {archive!r} is not a day MM-DD (e.g. '07-10')"
    if not 0 < (end - start).days % 365 <= MAX_ARCHIVE_DAYS:
        return (f"[privacy] class_archive: {archive!r} must come before class_year_end {year_end!r} "
                f"in the school year (at most {MAX_ARCHIVE_DAYS} days before)")
    return None


def value_problems(config: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per invalid value, for ConfigError."""
    found = [timezone_problem(config["box"]["timezone"]), https_url_problem(config["web"]["https_url"]),
             school_year_problem(config["privacy"]["class_year_end"], config["privacy"]["class_archive"])]
    return [problem for problem in found if problem]
