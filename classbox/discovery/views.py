"""/connect (the classroom projector page), /api/connect and the QR images behind them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from classbox.auth import current_user
from classbox.discovery import current_addresses
from classbox.discovery.advertiser import STATE_KEY, advertised_port, host_label
from classbox.discovery.connect import box_urls, open_sessions, request_host
from classbox.storage import get_db
from classbox.storage.core import get_state
from classbox.version import __version__
from classbox.web.links import join_url, qr_png, qr_svg

bp = Blueprint("discovery", __name__)


def connect_context(with_qr: bool = True) -> dict[str, Any]:
    """Everything /connect shows, as plain data (the JSON of /api/connect)."""
    config = current_app.config["CLASSBOX"]
    db = get_db()
    state = get_state(db, STATE_KEY) or {}
    addresses = current_addresses(config)()
    preferred = request_host(request.host)
    announced = state.get("announcing") if isinstance(state, dict) else None
    urls = box_urls(addresses, host_label(config), advertised_port(config), preferred,
                    announced if isinstance(announced, bool) else None, config["web"]["public_url"],
                    config["web"]["https_url"])
    base = urls[0]["url"]
    sessions = [{**s, "join_url": join_url(s["code"], base)} for s in open_sessions(db, current_user())]
    if with_qr:
        for item in urls:
            item["qr_svg"] = qr_svg(item["url"])
        for item in sessions:
            item["qr_svg"] = qr_svg(item["join_url"])
    return {
        "box": {"id": current_app.config["BOX_ID"], "name": config["box"]["name"],
                "school_uai": config["box"]["school_uai"], "version": __version__},
        "urls": urls,
        "sessions": sessions,
        "discovery": {k: state.get(k) for k in ("mode", "announcing", "addresses", "since", "instance",
                                                   "host", "error")} if isinstance(state, dict) else {},
    }


@bp.route("/connect")
def connect() -> str:
    """The projector page: the box's address in very large type, with QR codes."""
    return render_template("discovery/connect.html", **connect_context())


@bp.route("/api/connect")
def api_connect() -> Response:
    """The same as /connect, as JSON (QR codes as inline SVG)."""
    return jsonify(connect_context())


@bp.route("/connect/qr.<any(png, svg):kind>")
def qr_image(kind: str) -> Response:
    """The QR code of one URL that /connect shows right now (any other text: 404)."""
    wanted = request.args.get("url", "")
    context = connect_context(with_qr=False)
    known = {u["url"] for u in context["urls"]} | {s["join_url"] for s in context["sessions"]}
    if wanted not in known:
        abort(404)
    if kind == "png":
        return Response(qr_png(wanted), mimetype="image/png", headers={"Cache-Control": "no-store"})
    return Response(qr_svg(wanted), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})
