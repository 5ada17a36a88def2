"""`classbox discover`: list the boxes on the LAN."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--timeout", type=click.FloatRange(0.5, 60.0), default=3.0, show_default=True,
              help="Seconds to listen for answers.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--avahi-service", is_flag=True,
              help="Print this box's avahi service file (for [discovery] defer_to_avahi) and exit.")
@click.pass_context
def discover(ctx: click.Context, timeout: float, as_json: bool, avahi_service: bool) -> None:
    """List classboxes on the LAN: name, addresses, port, version, school."""
    if avahi_service:
        from classbox.cli_support import cli_config
        from classbox.discovery.advertiser import service_spec
        from classbox.discovery.avahi import avahi_service_xml
        from classbox.version import __version__
        from classbox.web.datadir import box_id

        config = cli_config(ctx)
        click.echo(avahi_service_xml(service_spec(config, box_id(config), __version__)), nl=False)
        return
    from classbox.discovery.browse import discover as browse
    from classbox.discovery.browse import format_table

    boxes = browse(timeout)
    if as_json:
        click.echo(json.dumps([b.as_dict() for b in boxes], ensure_ascii=False, indent=2))
    else:
        click.echo(format_table(boxes))
