"""/healthz (liveness) and /api/health (a summary for technicians and monitoring)."""

from __future__ import annotations

import sqlite3
import time

from flask import Blueprint, Response, current_app, jsonify

from classbox.storage import get_db
from classbox.version import __version__

bp = Blueprint("health", __name__)


def db_ok() -> bool:
    """Whether the database answers a trivial query."""
    try:
        get_db().execute("SELECT 1").fetchone()
        return True
    except sqlite3.Error:
        return False


@bp.route("/healthz")
def healthz() -> Response:
    """200 `ok` when the database answers, 503 otherwise."""
    if db_ok():
        return Response("ok\n", mimetype="text/plain")
    return Response("database unavailable\n", status=503, mimetype="text/plain")


@bp.route("/api/health")
def api_health():
    """Version, box id, uptime and database state, as JSON."""
    ok = db_ok()
    config = current_app.config["CLASSBOX"]
    body = {
        "status": "ok" if ok else "critical",
        "version": __version__,
        "box": {"id": current_app.config["BOX_ID"], "name": config["box"]["name"],
                "school_uai": config["box"]["school_uai"]},
        "uptime_seconds": round(time.monotonic() - current_app.config["STARTED_AT"], 3),
        "db": {"ok": ok},
    }
    return jsonify(body), 200 if ok else 503
