"""The Content-Security-Policy of the box's own pages: scripts and styles from the box only, never framed."""

from __future__ import annotations

from flask import Flask, Response

from classbox.library.h5porigin import with_player_frames

# No inline script or handler anywhere (data for scripts travels in <script type="application/json">,
# which no policy runs); styles from files (scripts may still set element.style); the box's own
# Socket.IO ('self' covers ws: to the same host); pack lessons in same-box iframes, the H5P player
# on its own site (library/h5porigin.py); nobody frames us.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            "media-src 'self' blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; "
            "manifest-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


def add_page_policy(response: Response) -> Response:
    """Give an HTML page without a policy of its own the box's page policy and X-Frame-Options."""
    if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = with_player_frames(PAGE_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_page_policy(app: Flask) -> None:
    """Apply the page policy to every HTML response of the app."""
    app.after_request(add_page_policy)
