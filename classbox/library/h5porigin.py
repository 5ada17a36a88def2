"""Where the H5P player plays: on the box's own site in an opaque origin (never cached by the
browser), or on another site reaching the same box (`[library] h5p_origin`) with an origin of its
own, whose immutable files the browser then keeps (docs/h5p.md, docs/security.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import abort, current_app, request
from itsdangerous import BadSignature, TimestampSigner

PARENT_MAX_AGE_S = 120  # the player page is asked for right after the box's redirect (no-store)

ORIGIN_RE = re.compile(r"^https?://[a-z0-9.\-]+(:[0-9]{1,5})?$|^https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?$")
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, lower case, without its scheme's default port; None if not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    suffix = f":{port}" if port and port != DEFAULT_PORTS[parts.scheme] else ""
    found = f"{parts.scheme}://{host.lower()}{suffix}"
    return found if ORIGIN_RE.match(found) else None


@dataclass(frozen=True)
class Placement:
    """Where one request for the player page stands: go elsewhere, or play here with a parent."""

    redirect: str | None = None  # the player's URL on the player's site
    parent: str | None = None  # the box page's origin, when the player has an origin of its own


def player_site() -> str | None:
    """The configured origin of the player's site, or None (the player stays opaque on the box's)."""
    return origin_of(current_app.config["CLASSBOX"]["library"]["h5p_origin"] or "")


def _same_host(origin: str | None, other: str) -> bool:
    return origin is not None and urlsplit(origin).hostname == urlsplit(other).hostname


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="classbox.h5p-parent")


def _on_player_site(site: str, here: str) -> bool:
    # Behind nginx the Host header has no port (`$host`): the same name is then the same site.
    return here == site or (":" not in request.host.rsplit("]", 1)[-1] and _same_host(here, site))


def only_player_on_its_site() -> None:
    """404 for anything but `/h5p/` on the player's site: no login, no teacher page there."""
    site = player_site()
    here = origin_of(request.host_url)
    if site is not None and here is not None and _on_player_site(site, here) \
            and not request.path.startswith("/h5p/"):
        abort(404)


def placement(path: str) -> Placement:
    """Where the player page at `path` (asked for with this request) plays."""
    site = player_site()
    here = origin_of(request.host_url)
    if site is None or here is None:
        return Placement()
    if not _on_player_site(site, here):  # a box page framed it: send the frame there, naming the page
        framing = origin_of(request.referrer or "")  # the frame's referrerpolicy="origin": its port too
        parent = framing if _same_host(framing, here) else here
        signed = _signer().sign(parent).decode()  # only the box names the parent
        return Placement(redirect=f"{site}{path}?{urlencode({'parent': signed})}")
    try:
        asked = _signer().unsign(request.args.get("parent", ""), max_age=PARENT_MAX_AGE_S).decode()
    except BadSignature:  # includes an expired one
        return Placement()
    parent = origin_of(asked)
    if parent is None or parent != asked or parent == site:  # exactly an origin, as the box names it
        return Placement()
    return Placement(parent=parent)


def with_player_frames(policy: str) -> str:
    """A box page's policy that also lets the page frame the player's site (when there is one)."""
    site = player_site()
    return policy.replace("frame-src 'self'", f"frame-src 'self' {site}", 1) if site else policy
