"""The `classbox db` commands: check and back up the database."""

from __future__ import annotations

import sys

import click

from classbox.cli_support import cli_config


@click.group()
def db() -> None:
    """Check and back up the database."""


@db.command("check")
@click.pass_context
def db_check(ctx: click.Context) -> None:
    """Run SQLite's integrity check; exit 1 if the database is damaged."""
    from classbox.storage.maintenance import integrity_check

    problems = integrity_check(cli_config(ctx).data_dir)
    if problems:
        for line in problems:
            click.echo(line, err=True)
        sys.exit(1)
    click.echo("ok")


@db.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False))
@click.pass_context
def db_backup(ctx: click.Context, dest: str) -> None:
    """Copy the database to DEST with SQLite's online backup (safe while classbox runs)."""
    from classbox.storage.maintenance import backup

    size = backup(cli_config(ctx).data_dir, dest)
    click.echo(f"backup written to {dest} ({size} bytes)")
