"""/healthz (liveness), /api/health (the health report) and /metrics (Prometheus text)."""

from __future__ import annotations

import sqlite3
import time

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST

from classbox.health.access import may_see_details
from classbox.health.metrics import exposition
from classbox.health.report import build_report
from classbox.storage import get_db

bp = Blueprint("health", __name__)


def db_ok() -> bool:
    """Whether the database answers a trivial query."""
    try:
        get_db().execute("SELECT 1").fetchone()
        return True
    except sqlite3.Error:
        return False


def current_report() -> dict:
    """The health report for this request."""
    return build_report(get_db(), current_app.config["CLASSBOX"], current_app.config["BOX_ID"], time.time(),
                        round(time.monotonic() - current_app.config["STARTED_AT"], 3))


@bp.route("/healthz")
def healthz() -> Response:
    """200 `ok` when the database answers, 503 otherwise."""
    if db_ok():
        return Response("ok\n", mimetype="text/plain")
    return Response("database unavailable\n", status=503, mimetype="text/plain")


@bp.route("/api/health")
def api_health():
    """The health report as JSON (docs/health.md); 503 only when the database is unreachable.

    Devices on the Wi-Fi get the status alone; admins, the box itself and the monitoring token get it all.
    """
    body = current_report()
    if not may_see_details():
        body = {"status": body["status"], "db": {"ok": body["db"]["ok"]}, "details": False}
    response = jsonify(body)
    response.status_code = 200 if body["db"]["ok"] else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics")
def metrics() -> Response:
    """The latest sample in the Prometheus text format (admins, the box itself, or the monitoring token)."""
    if not may_see_details():
        return Response("monitoring token needed (Authorization: Bearer, [health] token_file)\n", status=401,
                        mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="classbox"', "Cache-Control": "no-store"})
    return Response(exposition(current_report()), content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
