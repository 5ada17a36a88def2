"""`classbox privacy export|erase --pupil ID`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from classbox.cli_support import cli_config, open_db_for_cli
from classbox.classes.shared_secretlock import forget_members
from classbox.classroom import settle_socket
from classbox.runtime.shared import shared_state
from classbox.storage.journal import journals_in_use, recover_data_dir

ERASE_SETTLE_S = 15.0  # a technician's command may wait longer than a teacher's page

PUPIL_HELP = ("The pupil's id: a session pupil's (as shown in the session's results) covers that session; "
              "a class member's member id (in `/api/classes/<id>`) covers every session they joined.")


@click.group()
def privacy() -> None:
    """A pupil's data (RGPD): export it, or erase it everywhere on the box."""


@privacy.command("export")
@click.option("--pupil", "pupil_id", required=True, help=PUPIL_HELP)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the JSON here (default: stdout).")
@click.pass_context
def export(ctx: click.Context, pupil_id: str, output: str | None) -> None:
    """Print (or write) everything the box keeps about one pupil, as JSON."""
    from classbox.privacy.core import export_pupil

    db = open_db_for_cli(ctx)
    try:
        data = export_pupil(db, pupil_id)
    finally:
        db.conn.close()
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        click.echo(f"written to {output}", err=True)
    else:
        click.echo(text)


@privacy.command("erase")
@click.option("--pupil", "pupil_id", required=True, help=PUPIL_HELP)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def erase(ctx: click.Context, pupil_id: str, yes: bool) -> None:
    """Erase one pupil's data from every feature of the box (cannot be undone)."""
    from classbox.privacy.core import erase_pupil

    if not yes and not click.confirm(f"Erase every record of pupil {pupil_id} on this box?"):
        sys.exit(1)
    db = open_db_for_cli(ctx)
    config = cli_config(ctx)
    shared = shared_state(config["web"])  # several web workers: Redis (None with one)
    # rows acked in a web worker's answer journal: into SQLite first (their bytes zeroed), then erased with
    # the rest, so that no later commit or start brings them back: each running worker holding a journal is
    # asked over its local socket to commit its rows and every answer before its ack while this erases
    # (classroom/settle_socket.py), a stopped worker's journal is replayed here (storage/journal.py). Redis
    # cannot stand for a socket: it neither makes a worker commit before its acks nor reaches one resubscribing
    busy = _unsettled(config.data_dir)
    if busy:  # answers a running web process acked may still come: erasing now would not be erasing
        db.conn.close()
        raise click.ClickException(
            f"nothing erased: the running web service holds answers not yet written ({', '.join(busy)}) "
            f"and did not confirm it committed them within {ERASE_SETTLE_S:.0f} s (run this as root or as the "
            "web service's user); retry, or stop it (systemctl stop classbox-web), erase, then start it again")
    try:
        removed = erase_pupil(db, pupil_id)
        # a worker's window of commits before acks starts at its request: one that closed before this
        # erase committed (a slow erase, a worker started meanwhile) may hold an answer acked since
        busy = _unsettled(config.data_dir)
        again = erase_pupil(db, pupil_id)
    finally:
        db.conn.close()
    removed = {k: v + again.get(k, 0) for k, v in removed.items()}
    forget_members(shared, [pupil_id])  # a class member's secret lock and throttle in Redis, now
    if busy:
        raise click.ClickException(
            f"erased {sum(removed.values())} record(s), but the running web service did not confirm again that "
            f"it committed the answers it holds ({', '.join(busy)}): run the same erase again")
    total = sum(removed.values())
    click.echo(f"erased {total} record(s): " + ", ".join(f"{k} {v}" for k, v in sorted(removed.items())))


def _unsettled(data_dir: Path) -> list[str]:
    """The journals of running web workers that did not confirm they committed their answers (settle_socket)."""
    recover_data_dir(data_dir)
    return [name for name in journals_in_use(data_dir) if not settle_socket.ask(data_dir, name, ERASE_SETTLE_S)]
