"""Small server-side SVG line charts for the /admin page (no JavaScript, no CDN)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo
from typing import Sequence

from flask import has_app_context
from flask_babel import format_decimal, get_timezone, gettext
from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 150
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 22
GAP_S = 180.0
MAX_POINTS = 320


def _fmt(value: float) -> str:
    return format_decimal(value, format="0" if abs(value) >= 10 or value == int(value) else "0.0")


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50… that is at least value (readable axis tops)."""
    step = 1.0
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor:
                return step * factor
        step *= 10


def downsample(points: Sequence[tuple[float, float | None]], start: float, end: float,
               buckets: int = MAX_POINTS) -> list[tuple[float, float | None]]:
    """Average the points into at most `buckets` time slots (a slot with no value stays empty)."""
    if len(points) <= buckets:
        return list(points)
    width = max(end - start, 1.0) / buckets
    slots: dict[int, list[float]] = {}
    times: dict[int, float] = {}
    for t, v in points:
        slot = int((t - start) // width)
        times.setdefault(slot, start + (slot + 0.5) * width)
        values = slots.setdefault(slot, [])
        if v is not None:
            values.append(v)
    return [(times[s], sum(slots[s]) / len(slots[s]) if slots[s] else None) for s in sorted(slots)]


def _segments(points: Sequence[tuple[float, float | None]], gap_s: float) -> list[list[tuple[float, float]]]:
    """Split the points where a value is missing or the agent was silent for a while."""
    segments: list[list[tuple[float, float]]] = [[]]
    last_t = None
    for t, v in points:
        if v is None or (last_t is not None and t - last_t > gap_s):
            if segments[-1]:
                segments.append([])
        if v is not None:
            segments[-1].append((t, float(v)))
        last_t = t
    return [s for s in segments if s]


def _clock(epoch: float) -> str:
    """An hour on the time axis, in the box's time zone ([box] timezone), not the process's."""
    zone = get_timezone() if has_app_context() else ZoneInfo("Europe/Paris")
    return datetime.fromtimestamp(epoch, zone).strftime("%H:%M")


def line_chart(chart_id: str, title: str, unit: str, points: Sequence[tuple[float, float | None]],
               start: float, end: float, y_min: float = 0.0, y_max: float | None = None) -> Markup:
    """An accessible SVG chart of one series between start and end (Unix times)."""
    values = [v for _, v in points if v is not None]
    drawn = downsample(points, start, end)
    gap_s = max(GAP_S, 3 * (end - start) / MAX_POINTS) if len(drawn) < len(points) else GAP_S
    top = nice_ceiling(max([*values, 1.0])) if y_max is None else max([y_max, *values])
    span_t, span_y = max(end - start, 1.0), max(top - y_min, 1e-9)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def xy(t: float, v: float) -> str:
        x = LEFT + (t - start) / span_t * plot_w
        y = TOP + plot_h - (v - y_min) / span_y * plot_h
        return f"{x:.1f},{y:.1f}"

    if values:
        summary = gettext("minimum %(low)s %(unit)s, maximum %(high)s %(unit)s, dernière valeur %(last)s %(unit)s",
                          low=_fmt(min(values)), high=_fmt(max(values)), last=_fmt(values[-1]), unit=unit)
    else:
        summary = gettext("aucune donnée sur la période")
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="{chart_id}-t {chart_id}-d">',
             f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(summary)}</desc>',
             f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" class="chart-bg"/>']
    for frac in (0.0, 0.5, 1.0):
        value = y_min + frac * span_y
        y = TOP + plot_h - frac * plot_h
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid"/>'
                     f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{_fmt(value)}</text>')
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        t = start + frac * span_t
        anchor = "start" if frac == 0 else "end" if frac == 1 else "middle"
        parts.append(f'<text x="{LEFT + frac * plot_w:.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}">'
                     f'{_clock(t)}</text>')
    for segment in _segments(drawn, gap_s):
        if len(segment) == 1:
            x, y = xy(*segment[0]).split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="2" class="chart-line"/>')
        else:
            parts.append(f'<polyline points="{" ".join(xy(t, v) for t, v in segment)}" class="chart-line"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
