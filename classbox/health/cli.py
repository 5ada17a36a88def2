"""`classbox health [--json]`: the health report, with an exit code for monitoring checks."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone

import click

from classbox.cli_support import cli_config, open_db_for_cli
from classbox.health.report import EXIT_CODES, build_report

MARKS = {"ok": "OK  ", "warn": "WARN", "critical": "CRIT"}


def _when(wall: float | None) -> str:
    if not isinstance(wall, (int, float)):
        return "?"
    return datetime.fromtimestamp(wall, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _figures(sample: dict) -> str:
    """The main readings on one line ("?" where unknown)."""
    system, app = sample.get("system") or {}, sample.get("app") or {}

    def show(value, fmt: str) -> str:
        return "?" if not isinstance(value, (int, float)) else fmt.format(value)

    disk, outbox = system.get("disk") or {}, app.get("outbox") or {}
    return " · ".join([
        f"cpu {show(system.get('cpu_percent'), '{:.0f}')} %",
        f"temp {show(system.get('temperature_celsius'), '{:.1f}')} °C",
        f"disk {show(disk.get('percent'), '{:.0f}')} %",
        f"pupils {show((app.get('classroom') or {}).get('pupils'), '{}')}",
        f"outbox {show(outbox.get('pending'), '{}')} pending / {show(outbox.get('dead'), '{}')} dead",
    ])


def render_text(report: dict) -> str:
    """A short text summary: status, identity, then every alert worst first."""
    box = report["box"]
    lines = [f"classbox {report['version']} · box {box['id']} · {box['name']} · UAI {box['school_uai'] or '-'}",
             f"status: {report['status'].upper()}"]
    sample = report.get("sample")
    if sample:
        lines.append(f"latest sample: {_when(sample['wall'])} ({sample['age_seconds']:.0f} s ago)")
        lines.append("  " + _figures(sample))
    for alert in report.get("alerts") or []:
        lines.append(f"  [{MARKS[alert['level']]}] {alert['title']}: {alert['message']} (since {_when(alert['since'])})")
    return "\n".join(lines)


@click.command("health")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as GET /api/health.")
@click.pass_context
def health(ctx: click.Context, as_json: bool) -> None:
    """Show the box's health; exit 0 ok, 1 warn, 2 critical (for monitoring checks)."""
    from classbox.web.datadir import box_id

    config = cli_config(ctx)
    db = open_db_for_cli(ctx)
    try:
        report = build_report(db, config, box_id(config), time.time())
    finally:
        db.conn.close()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        click.echo(render_text(report))
    sys.exit(EXIT_CODES[report["status"]])
