"""The technician's status page, /admin: health first (alerts, charts, sizes), then every panel."""

from __future__ import annotations

import time
from datetime import datetime

from flask import Blueprint, current_app, render_template

from classbox.admin_panels import panels
from classbox.auth import login_required
from classbox.health import history
from classbox.health.charts import line_chart
from classbox.health.views import current_report
from classbox.storage import get_db

bp = Blueprint("admin", __name__)

# (series key, title, unit, fixed top of the scale or None)
CHARTS = (
    ("cpu", "Processeur (%)", "%", 100.0),
    ("temp", "Température (°C)", "°C", 90.0),
    ("disk", "Disque des données (%)", "%", 100.0),
    ("pupils", "Élèves connectés", "élèves", None),
    ("outbox", "Envois en attente", "envois", None),
)
LEVEL_LABELS = {"ok": "OK", "warn": "Attention", "critical": "Critique"}


@bp.app_template_filter("size")
def size_filter(value: int | float | None) -> str:
    """Bytes in French units (Ko, Mo, Go)."""
    if not isinstance(value, (int, float)):
        return "inconnu"
    for unit in ("o", "Ko", "Mo", "Go"):
        if abs(value) < 1024 or unit == "Go":
            return f"{value:.0f} {unit}" if unit == "o" else f"{value:.1f} {unit}".replace(".", ",")
        value /= 1024
    return ""


@bp.app_template_filter("when")
def when_filter(value: float | None) -> str:
    """A Unix time as a local date and time ("jamais" when unknown)."""
    if not isinstance(value, (int, float)) or value <= 0:
        return "jamais"
    return datetime.fromtimestamp(value).strftime("%d/%m/%Y %H:%M")


@bp.app_template_filter("duration")
def duration_filter(seconds: float | None) -> str:
    """A duration in words (min, h, j)."""
    if not isinstance(seconds, (int, float)):
        return "inconnue"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h".replace(".", ",")
    return f"{seconds / 86400:.1f} j".replace(".", ",")


def charts(now: float) -> list[dict]:
    """The 24-hour charts drawn from the minute history, each with its title and latest value."""
    points = history.series(get_db(), now)
    start = now - history.MINUTE_KEEP_S
    drawn = []
    for key, title, unit, top in CHARTS:
        series = [(t, p.get(key)) for t, p in points]
        last = next((v for _, v in reversed(series) if v is not None), None)
        drawn.append({"title": title, "unit": unit, "last": last,
                      "svg": line_chart(f"chart-{key}", title, unit, series, start, now, y_max=top)})
    return drawn


@bp.route("/admin")
@login_required("admin")
def index():
    """The status page: alerts first, charts, sizes and sync queue, then every feature's panel."""
    report = current_report()
    sections = [(panel, panel.context()) for panel in panels(current_app)]
    return render_template("admin/index.html", report=report, charts=charts(time.time()),
                           levels=LEVEL_LABELS, sections=sections,
                           pushgateway=current_app.config["CLASSBOX"]["fleet"]["pushgateway"])
