"""`classbox user add|passwd|disable|enable|list`: manage teacher and admin accounts."""

from __future__ import annotations

from collections.abc import Callable

import click

from classbox.auth.users import ROLES, UserError, add_user, list_users, set_disabled, set_password
from classbox.cli_support import open_db_for_cli


def _read_password(password_file: str | None) -> str:
    if password_file:
        try:
            with open(password_file, encoding="utf-8") as handle:
                return handle.readline().rstrip("\n")
        except OSError as err:
            raise click.ClickException(f"cannot read {password_file}: {err.strerror}") from None
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _run(action: Callable[[], object], done: str) -> None:
    """Run one account change; a UserError becomes a one-line CLI error, success prints DONE."""
    try:
        action()
    except UserError as err:
        raise click.ClickException(str(err)) from None
    click.echo(done)


@click.group()
def user() -> None:
    """Manage teacher and admin accounts."""


@user.command("add")
@click.option("--role", type=click.Choice(ROLES), required=True, help="teacher or admin.")
@click.option("--password-file", type=click.Path(dir_okay=False), help="Read the password from this file instead of a prompt.")
@click.option("--name", "display_name", default="", help="Name shown in the dashboard.")
@click.argument("login")
@click.pass_context
def add(ctx: click.Context, role: str, password_file: str | None, display_name: str, login: str) -> None:
    """Create an account LOGIN with a role (the password is asked, never echoed)."""
    password = _read_password(password_file)
    db = open_db_for_cli(ctx)
    _run(lambda: add_user(db, login, role, password, display_name), f"{role} {login} created")


@user.command("passwd")
@click.option("--password-file", type=click.Path(dir_okay=False), help="Read the password from this file instead of a prompt.")
@click.argument("login")
@click.pass_context
def passwd(ctx: click.Context, password_file: str | None, login: str) -> None:
    """Set a new password for LOGIN."""
    password = _read_password(password_file)
    _run(lambda: set_password(open_db_for_cli(ctx), login, password), f"password of {login} changed")


@user.command("disable")
@click.argument("login")
@click.pass_context
def disable(ctx: click.Context, login: str) -> None:
    """Disable LOGIN: it can no longer log in; its sessions end."""
    _run(lambda: set_disabled(open_db_for_cli(ctx), login, True), f"{login} disabled")


@user.command("enable")
@click.argument("login")
@click.pass_context
def enable(ctx: click.Context, login: str) -> None:
    """Re-enable a disabled LOGIN."""
    _run(lambda: set_disabled(open_db_for_cli(ctx), login, False), f"{login} enabled")


@user.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List accounts (login, role, state)."""
    for row in list_users(open_db_for_cli(ctx)):
        state = "disabled" if row["disabled"] else "active"
        click.echo(f"{row['login']}\t{row['role']}\t{state}")
