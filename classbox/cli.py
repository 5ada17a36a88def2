"""The `classbox` command: every sub-command of the box, each with its help text."""

from __future__ import annotations

import sys

import click

from classbox import features
from classbox.cli_support import CliState, cli_config, open_db_for_cli, state
from classbox.config import ConfigError
from classbox.storage import SchemaError
from classbox.storage.cli import db
from classbox.version import __version__


class FeatureGroup(click.Group):
    """The `classbox` group: the features' commands are imported on first need, not at start.

    `classbox agent` (a built-in command) thus starts without importing every feature's CLI
    and, through them, Flask; `classbox --help` and feature commands see every command.
    """

    def __init__(self, *args, **kwargs) -> None:
        self._commands: dict[str, click.Command] = {}
        self._features_loaded = False
        super().__init__(*args, **kwargs)

    @property
    def commands(self) -> dict[str, click.Command]:  # type: ignore[override]
        """Every command, the features' included (imported now if not yet)."""
        if not self._features_loaded:
            for make in features.hooks("cli_commands"):
                for command in make():
                    self._commands[command.name or ""] = command
            self._features_loaded = True
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = dict(value)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Register a built-in command without importing the features."""
        self._commands[name or cmd.name or ""] = cmd

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A built-in command as is; any other name imports the features' commands."""
        return self._commands.get(cmd_name) or self.commands.get(cmd_name)


@click.group(cls=FeatureGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="classbox")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (default: $CLASSBOX_CONFIG or /etc/classbox/classbox.toml).")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="Data dir (default: $CLASSBOX_DATA_DIR or /var/lib/classbox).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, data_dir: str | None) -> None:
    """classbox: the offline-first classroom server of a rural school."""
    overrides = {"data_dir": data_dir} if data_dir else {}
    ctx.obj = CliState(config_path, overrides)


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the data dir, its secrets (mode 0600) and the database."""
    from classbox.web.datadir import box_id

    db = open_db_for_cli(ctx)
    db.conn.close()
    config = cli_config(ctx)
    click.echo(f"data dir {config.data_dir} ready (box id {box_id(config)})")


@cli.command()
@click.option("--host", help="Address to listen on (default [web] host).")
@click.option("--port", type=int, help="Port to listen on (default [web] port).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data dir for this run.")
@click.option("--demo", is_flag=True, help="Prepare a demo data dir: a demo teacher and a small library.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, data_dir: str | None, demo: bool) -> None:
    """Run the web app and the agent together (for a laptop or a demo)."""
    from classbox.runtime.server import serve_all

    config = cli_config(ctx, **{"web.host": host, "web.port": port, "data_dir": data_dir})
    if demo:
        from classbox.demo import prepare_demo

        prepare_demo(config, echo=click.echo)
    st = state(ctx)
    sys.exit(serve_all(config, st.config_path, st.overrides))


@cli.command()
@click.option("--host", help="Address to listen on (default [web] host).")
@click.option("--port", type=int, help="Port to listen on (default [web] port).")
@click.pass_context
def web(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the web app under gunicorn ([web] workers processes, joined by Redis when several)."""
    from classbox.runtime.server import run_web

    config = cli_config(ctx, **{"web.host": host, "web.port": port})
    open_db_for_cli(ctx).conn.close()
    run_web(config)


@cli.command()
@click.pass_context
def agent(ctx: click.Context) -> None:
    """Run the agent: discovery, sync and health; stops cleanly on SIGTERM."""
    from classbox.runtime.agent import run_agent

    config = cli_config(ctx)
    open_db_for_cli(ctx).conn.close()
    sys.exit(run_agent(config))


cli.add_command(db)


def main() -> None:
    """Entry point: config and schema problems become one line on stderr and exit code 2."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except (ConfigError, SchemaError) as err:
        click.echo(f"classbox: error: {err}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
