"""`classbox library import|list|remove|verify`."""

from __future__ import annotations

import sys

import click

from classbox.cli_support import cli_config, open_db_for_cli


@click.group()
def library() -> None:
    """Manage the library: content packs, ZIM books and H5P exercises."""


def _prepare(ctx: click.Context):
    from classbox.library.staging import cleanup

    open_db_for_cli(ctx).conn.close()
    config = cli_config(ctx)
    for path in cleanup(config):
        click.echo(f"removed leftover of an interrupted import: {path}", err=True)
    return config


@library.command("import")
@click.argument("source")
@click.option("--sha256", help="Expected sha256 of the pack file (checked after download).")
@click.pass_context
def import_cmd(ctx: click.Context, source: str, sha256: str | None) -> None:
    """Import a pack (zip file or folder), a ZIM file or an H5P exercise (.h5p), from a path or an http(s) URL."""
    from classbox.library import PackError, import_source

    config = _prepare(ctx)
    try:
        result = import_source(config, source, sha256)
    except PackError as err:
        click.echo(f"import refused, library unchanged: {err}", err=True)
        sys.exit(1)
    click.echo(str(result))


@library.command("list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """List the packs and books with their version, resource count and size."""
    from classbox.library.catalogue import list_packs
    from classbox.storage import open_database

    config = _prepare(ctx)
    db = open_database(config.data_dir)
    try:
        packs = list_packs(db)
    finally:
        db.conn.close()
    if not packs:
        click.echo("library is empty")
    for p in packs:
        click.echo(f"{p['id']}\t{p['version']}\t{p['kind']}\t{p['resources']} resources\t"
                   f"{p['size'] / 1e6:.1f} MB\t{p['title']}")


@library.command("remove")
@click.argument("pack")
@click.pass_context
def remove_cmd(ctx: click.Context, pack: str) -> None:
    """Remove a pack (or a ZIM book, listed as zim-<name>) and the files only it used."""
    from classbox.library import PackError
    from classbox.library.packs import remove_pack
    from classbox.library.staging import import_lock

    config = _prepare(ctx)
    try:
        with import_lock(config, wait=True):
            count = remove_pack(config, pack)
    except PackError as err:
        click.echo(str(err), err=True)
        sys.exit(1)
    click.echo(f"removed {pack} ({count} resources)")


@library.command("verify")
@click.pass_context
def verify_cmd(ctx: click.Context) -> None:
    """Rehash every blob and check ZIM checksums; corrupt blobs are quarantined (exit 1)."""
    from classbox.library.store import BlobStore
    from classbox.library.zim import open_checked
    from classbox.library.manifest import PackError

    config = _prepare(ctx)
    report = BlobStore(config.data_dir).verify()
    bad = [f"blob {sha} corrupt: moved to {config.data_dir / 'quarantine'}" for sha in report.corrupt]
    for path in sorted((config.data_dir / "zim").glob("*.zim")):
        try:
            open_checked(path)
        except PackError as err:
            bad.append(f"zim {err}")
    for line in bad:
        click.echo(line, err=True)
    click.echo(f"{report.checked} blobs checked ({report.bytes / 1e6:.1f} MB), {len(bad)} problem(s)")
    sys.exit(1 if bad else 0)
