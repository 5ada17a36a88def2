"""Links a pupil follows: a session's join URL, and any URL as a QR code (SVG or PNG)."""

from __future__ import annotations

import io
from urllib.parse import quote

import segno


def join_url(code: str, base_url: str | None = None) -> str:
    """The direct join link of a session: <base>/join/<code>; base: [web] public_url, else https_url, else the request's."""
    if base_url is None:
        from flask import current_app, request

        web = current_app.config["CLASSBOX"]["web"]
        base_url = web["public_url"] or web["https_url"] or request.host_url
    return f"{base_url.rstrip('/')}/join/{quote(code, safe='')}"


def qr_code(text: str) -> segno.QRCode:
    """The QR code of a URL (error correction M: survives a dusty projector)."""
    return segno.make(text, error="m", micro=False)


def qr_svg(text: str, inline: bool = True) -> str:
    """The QR code as SVG sized by CSS, black on white with its quiet zone: inline in HTML, or a file."""
    options = {"scale": 1, "border": 4, "omitsize": True, "svgclass": "qr", "dark": "#000", "light": "#fff",
               "title": text}
    if inline:
        return qr_code(text).svg_inline(**options)
    out = io.BytesIO()
    qr_code(text).save(out, kind="svg", **options)
    return out.getvalue().decode("utf-8")


def qr_png(text: str, scale: int = 10) -> bytes:
    """The same QR code as a PNG (for printing, and for decoders that need pixels)."""
    out = io.BytesIO()
    qr_code(text).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
