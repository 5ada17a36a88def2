"""`classbox privacy export|erase --pupil ID`."""

from __future__ import annotations

import json
import sys

import click

from classbox.cli_support import cli_config, open_db_for_cli
from classbox.classes.shared_secretlock import forget_members
from classbox.classroom import settle_socket
from classbox.classroom.journal_settle import settle_everywhere
from classbox.runtime.shared import shared_state
from classbox.runtime.worker_bus import WorkerBus
from classbox.storage.journal import journals_in_use, recover_data_dir

ERASE_SETTLE_S = 15.0  # a technician's command may wait longer than a teacher's page

PUPIL_HELP = ("The pupil's id: a session pupil's (as shown in the session's results) covers that session; a class member's member id (in `/api/classes/<id>`) covers every session they joined.")


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
    # asked to commit its rows (classroom/settle_socket.py; with several, through Redis too:
    # classroom/journal_settle.py), a stopped worker's journal is replayed here (storage/journal.py)
    settled = shared is not None and settle_everywhere(WorkerBus(shared), timeout=ERASE_SETTLE_S)
    recover_data_dir(config.data_dir)
    # asked even after Redis confirmed: the socket also has each worker commit every answer before its ack
    # while this erases (classroom/settle_socket.py), so none acked meanwhile comes back after it
    busy = [name for name in journals_in_use(config.data_dir)
            if not settle_socket.ask(config.data_dir, name, ERASE_SETTLE_S)]
    if busy and not settled:  # answers a running web process acked may still come: erasing now would not be erasing
        db.conn.close()
        raise click.ClickException(
            f"nothing erased: the running web service holds answers not yet written ({', '.join(busy)}) "
            f"and did not confirm it committed them within {ERASE_SETTLE_S:.0f} s"
            + (" (nor did its workers through Redis)" if shared is not None else "")
            + "; retry, or stop it (systemctl stop classbox-web), erase, then start it again")
    try:
        removed = erase_pupil(db, pupil_id)
    finally:
        db.conn.close()
    forget_members(shared, [pupil_id])  # a class member's secret lock and throttle in Redis, now
    total = sum(removed.values())
    click.echo(f"erased {total} record(s): " + ", ".join(f"{k} {v}" for k, v in sorted(removed.items())))
