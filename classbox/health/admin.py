"""The technician's status page, /admin: health first (alerts, charts, sizes), then every panel."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, current_app, render_template
from flask_babel import format_decimal, gettext

from classbox.auth import login_required
from classbox.health import history
from classbox.health.charts import line_chart
from classbox.health.views import current_report
from classbox.storage import get_db
from classbox.storage.volatile import reading_volatile
from classbox.web.admin_panels import panels
from classbox.web.i18n import N_

bp = Blueprint("admin", __name__)

# (series key, title, unit, fixed top of the scale or None)
CHARTS = (
    ("cpu", N_("Processeur (%)"), "%", 100.0),
    ("temp", N_("Température (°C)"), "°C", 90.0),
    ("disk", N_("Disque des données (%)"), "%", 100.0),
    ("pupils", N_("Élèves connectés"), N_("élèves"), None),
    ("outbox", N_("Envois en attente"), N_("envois"), None),
)
LEVEL_LABELS = {"ok": N_("OK"), "warn": N_("Attention"), "critical": N_("Critique")}
SIZE_UNITS = (N_("o"), N_("Ko"), N_("Mo"), N_("Go"))


@bp.app_template_filter("size")
def size_filter(value: int | float | None) -> str:
    """Bytes in the page's units and decimals (Ko, Mo, Go in French; KB, MB, GB in English)."""
    if not isinstance(value, (int, float)):
        return gettext("inconnu")
    for unit in SIZE_UNITS:
        if abs(value) < 1024 or unit == SIZE_UNITS[-1]:
            number = format_decimal(value, format="0" if unit == SIZE_UNITS[0] else "0.0")
            return f"{number} {gettext(unit)}"
        value /= 1024
    return ""


@bp.app_template_filter("alert_title")
def alert_title_filter(alert: dict[str, Any]) -> str:
    """An alert's title in the page's language."""
    return gettext(str(alert.get("title", "")))


@bp.app_template_filter("alert_text")
def alert_text_filter(alert: dict[str, Any]) -> str:
    """An alert's message in the page's language, its numbers formatted for that language."""
    args = alert.get("message_args")
    template = alert.get("message_id")
    if not isinstance(args, dict) or not isinstance(template, str):
        return gettext(str(alert.get("message", "")))
    shown = {k: v if isinstance(v, bool) or not isinstance(v, (int, float))
             else format_decimal(v, format="0.0" if isinstance(v, float) else "0") for k, v in args.items()}
    try:
        return gettext(template, **shown)
    except (KeyError, TypeError, ValueError):  # a stored alert from another version
        return str(alert.get("message", ""))


def charts(now: float) -> list[dict]:
    """The 24-hour charts drawn from the minute history, each with its title and latest value."""
    with reading_volatile(current_app.config["CLASSBOX"]) as vol:
        points = history.series(get_db(), now, vol=vol)
    start = now - history.MINUTE_KEEP_S
    drawn = []
    for key, title, unit, top in CHARTS:
        series = [(t, p.get(key)) for t, p in points]
        last = next((v for _, v in reversed(series) if v is not None), None)
        title, unit = gettext(title), gettext(unit)
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
                           levels={k: gettext(v) for k, v in LEVEL_LABELS.items()}, sections=sections,
                           pushgateway=current_app.config["CLASSBOX"]["fleet"]["pushgateway"])
