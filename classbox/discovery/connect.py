"""What the projector shows: the box's URLs (IP first, .local second), open sessions, QR codes."""

from __future__ import annotations

import io
import ipaddress
import re
import sqlite3
from typing import Any
from urllib.parse import quote

import segno
import sqlite_utils

CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
OWNER_COLUMNS = ("teacher_id", "owner_id", "user_id")
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
             announced: bool | None = None, public_url: str = "") -> list[dict[str, Any]]:
    """Every URL of the box, best first: one IPv4 URL, the .local URL, then the others.

    `preferred` (the address the request came in on) goes first when it is one of the box's.
    """
    ordered = sorted(addresses, key=lambda a: (a != preferred, ":" in a, addresses.index(a)))
    urls: list[dict[str, Any]] = []
    ipv4 = [a for a in ordered if ":" not in a]
    if ipv4:
        urls.append({"kind": "ip", "address": ipv4[0], "url": http_url(ipv4[0], port), "main": True})
    urls.append({"kind": "mdns", "address": f"{label}.local", "url": http_url(f"{label}.local", port),
                 "main": announced is True, "announced": announced})
    if public_url:
        urls.append({"kind": "public", "address": "", "url": public_url, "main": False})
    for extra in ordered:
        if not ipv4 or extra != ipv4[0]:
            urls.append({"kind": "ip", "address": extra, "url": http_url(extra, port), "main": False})
    return urls


def qr_code(text: str) -> segno.QRCode:
    """The QR code of a URL (error correction M: survives a dusty projector)."""
    return segno.make(text, error="m", micro=False)


def qr_svg(text: str) -> str:
    """An inline SVG QR code, sized by CSS, black on white with its quiet zone."""
    return qr_code(text).svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", dark="#000",
                                    light="#fff", title=text)


def qr_png(text: str, scale: int = 10) -> bytes:
    """The same QR code as a PNG (for printing, and for decoders that need pixels)."""
    out = io.BytesIO()
    qr_code(text).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def open_sessions(db: sqlite_utils.Database, user: dict | None) -> list[dict[str, str]]:
    """Open class sessions the user may show, read defensively from a `sessions` table.

    The classroom feature owns that table: a session is open when its `state` (or `status`)
    is "open", or when `closed_at` is NULL. A teacher sees only their own sessions when the
    table names an owner; nobody logged in sees none. Unknown shapes give an empty list.
    """
    if user is None:
        return []
    try:
        # pages (#9): the classroom's table is classroom_sessions; `sessions` kept as a fallback.
        table = next((t for t in ("classroom_sessions", "sessions") if t in db.table_names()), None)
        if table is None:
            return []
        columns = db[table].columns_dict
        if "code" not in columns:
            return []
        if "state" in columns:
            where = ["state = 'open'"]
        elif "status" in columns:
            where = ["status = 'open'"]
        elif "closed_at" in columns:
            where = ["closed_at IS NULL"]
        else:
            return []
        params: list[Any] = []
        owner = next((c for c in OWNER_COLUMNS if c in columns), None)
        if owner and user.get("role") != "admin":
            where.append(f"{owner} = ?")
            params.append(user.get("id"))
        title = "title" if "title" in columns else "''"
        rows = db.execute(f"SELECT code, {title} FROM {table} WHERE {' AND '.join(where)} "
                          f"ORDER BY rowid DESC LIMIT {MAX_SESSIONS}", params).fetchall()
    except sqlite3.Error:
        return []
    return [{"code": str(code), "title": str(title or "")[:200]} for code, title in rows
            if CODE_RE.fullmatch(str(code))]


def join_url(base_url: str, code: str) -> str:
    """The direct join link of a session: <box URL>join/<code>."""
    return f"{base_url.rstrip('/')}/join/{quote(code, safe='')}"
