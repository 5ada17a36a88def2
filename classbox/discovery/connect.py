"""What the projector shows: the box's URLs (IP first, .local second) and the open sessions."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from classbox import features

MAX_SESSIONS = 12


def http_url(host: str, port: int, path: str = "/") -> str:
    """http://host[:port]/path, with IPv6 in brackets and :80 left out."""
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass
    return f"http://{host}{'' if port == 80 else f':{port}'}{path}"


def request_host(host_header: str) -> str:
    """The host part of a Host header ("10.0.0.5:8080" → "10.0.0.5", "[fd00::1]:80" → "fd00::1")."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def box_urls(addresses: list[str], label: str, port: int, preferred: str = "",
             announced: bool | None = None, public_url: str = "", https_url: str = "") -> list[dict[str, Any]]:
    """Every URL of the box, best first: the HTTPS URL when there is one (then the only main
    one: nginx redirects the others to it), one IPv4 URL, the .local URL, then the others.

    `preferred` (the address the request came in on) goes first when it is one of the box's.
    """
    ordered = sorted(addresses, key=lambda a: (a != preferred, ":" in a, addresses.index(a)))
    urls: list[dict[str, Any]] = []
    if https_url:
        urls.append({"kind": "https", "address": urlsplit(https_url).hostname, "url": https_url, "main": True})
    ipv4 = [a for a in ordered if ":" not in a]
    if ipv4:
        urls.append({"kind": "ip", "address": ipv4[0], "url": http_url(ipv4[0], port), "main": not https_url})
    urls.append({"kind": "mdns", "address": f"{label}.local", "url": http_url(f"{label}.local", port),
                 "main": announced is True and not https_url, "announced": announced})
    if public_url:
        urls.append({"kind": "public", "address": "", "url": public_url, "main": False})
    for extra in ordered:
        if not ipv4 or extra != ipv4[0]:
            urls.append({"kind": "ip", "address": extra, "url": http_url(extra, port), "main": False})
    return urls


def open_sessions(db: sqlite_utils.Database, user: dict | None) -> list[dict[str, str]]:
    """Open class sessions the user may show, as the features holding sessions report them."""
    if user is None:
        return []
    found = [session for hook in features.hooks("open_sessions") for session in hook(db, user)]
    return [{"code": str(s["code"]), "title": str(s["title"] or "")[:200]} for s in found[:MAX_SESSIONS]]
