"""`classbox sync status|once|retry-dead` and `classbox roster import CSV`."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from classbox.cli_support import cli_config, open_db_for_cli


def _when(epoch: float | None) -> str:
    if not epoch:
        return "never"
    return dt.datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S")


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@click.group()
def sync() -> None:
    """Sync with the ENT: outbox status, one pass now, replay dead records."""


@sync.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def sync_status(ctx: click.Context, as_json: bool) -> None:
    """Depth per target, oldest pending age, last success and error, bytes today, dead records."""
    from classbox.sync import status

    db = open_db_for_cli(ctx)
    try:
        current = status.refresh(db)
        dead = status.dead_records(db)
    finally:
        db.conn.close()
    if as_json:
        click.echo(json.dumps(dict(current, dead_records=dead), indent=2))
        return
    targets = {k: v for k, v in current.get("targets", {}).items() if not k.startswith("_")}
    click.echo(f"pending {current['pending']}  dead {current['dead']}  "
               f"last success {_when(current.get('last_success'))}")
    click.echo(f"bytes today: sent {current.get('bytes_sent_today', 0)}, "
               f"received {current.get('bytes_received_today', 0)}")
    error = current.get("last_error")
    if error:
        click.echo(f"last error {_when(error['at'])} [{error['target']}] {error['message']}")
    for name, entry in sorted(targets.items()):
        click.echo(f"  {name}: pending {entry.get('pending', 0)}, dead {entry.get('dead', 0)}, "
                   f"delivered {entry.get('delivered', 0)}, oldest {_age(entry.get('oldest_pending_age_s'))}, "
                   f"last success {_when(entry.get('last_success'))}")
    for record in dead:
        click.echo(f"  dead #{record['seq']} {record['kind']}->{record['target']}: {record['last_error']}")


@sync.command("once")
@click.pass_context
def sync_once(ctx: click.Context) -> None:
    """Run one sync pass now (outbox, then inbox), within the sync window."""
    from classbox.sync.runner import SyncRunner

    config = cli_config(ctx)
    open_db_for_cli(ctx).conn.close()
    runner = SyncRunner(config)
    try:
        summary = runner.once()
    finally:
        runner.link.close()
    if not summary["window_open"]:
        click.echo("outside the sync window: nothing sent")
        return
    click.echo(f"delivered {summary['delivered']}, dead {summary['dead']}, "
               f"waiting for retry {summary['retry']}" + (", stopped early" if summary["stopped"] else ""))
    if "inbox" in summary:
        click.echo("inbox: " + ", ".join(f"{k} {v}" for k, v in summary["inbox"].items()))


@sync.command("retry-dead")
@click.option("--seq", type=int, help="Only this record (default: every dead record).")
@click.pass_context
def sync_retry_dead(ctx: click.Context, seq: int | None) -> None:
    """Put dead records back in the queue (after fixing their cause)."""
    from classbox.sync.outbox import retry_dead

    db = open_db_for_cli(ctx)
    try:
        count = retry_dead(db, seq)
    finally:
        db.conn.close()
    click.echo(f"{count} record(s) back in the queue")


@click.group()
def roster() -> None:
    """The optional mapping of pupils' pseudonyms to their ENT logins."""


@roster.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--merge", is_flag=True, help="Add to the current roster instead of replacing it.")
@click.pass_context
def roster_import(ctx: click.Context, csv_file: str, merge: bool) -> None:
    """Import CSV_FILE with columns pseudonym,ent_login[,class] (header line; , or ;)."""
    from classbox.sync.roster import RosterError, import_roster

    try:
        with open(csv_file, encoding="utf-8-sig") as handle:
            text = handle.read(5_000_000)
    except (OSError, UnicodeDecodeError) as err:
        click.echo(f"classbox: error: {csv_file}: cannot read ({err})", err=True)
        sys.exit(2)
    db = open_db_for_cli(ctx)
    try:
        count = import_roster(db, text, replace=not merge)
    except RosterError as err:
        click.echo(f"classbox: error: {csv_file}: {err}; nothing imported", err=True)
        sys.exit(2)
    finally:
        db.conn.close()
    click.echo(f"{count} pupil(s) in the roster")
