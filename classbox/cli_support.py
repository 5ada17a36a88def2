"""What every CLI command shares: the effective config and an opened, migrated database."""

from __future__ import annotations

import os
from typing import Any

import click
import sqlite_utils

from classbox.config import Config, load_config


class CliState:
    """Options of the top-level group, shared by sub-commands through ctx.obj."""

    def __init__(self, config_path: str | None = None, overrides: dict[str, Any] | None = None):
        self.config_path = config_path
        self.overrides: dict[str, Any] = dict(overrides or {})
        self._config: Config | None = None

    def config(self) -> Config:
        """Load the config once (ConfigError propagates to main(), which exits 2)."""
        if self._config is None:
            self._config = load_config(self.config_path, overrides=self.overrides)
        return self._config


def state(ctx: click.Context) -> CliState:
    """The CliState of the top-level group."""
    obj = ctx.find_root().obj
    if obj is None:
        obj = ctx.find_root().obj = CliState()
    return obj


def cli_config(ctx: click.Context, **overrides: Any) -> Config:
    """The effective config, with per-command overrides (None values ignored)."""
    st = state(ctx)
    extra = {k: v for k, v in overrides.items() if v is not None}
    if extra:
        st.overrides.update(extra)
        st._config = None
    return st.config()


def open_db_for_cli(ctx: click.Context) -> sqlite_utils.Database:
    """Open the data dir's database, initialising the data dir if needed; closed when the
    command ends."""
    from classbox.web.datadir import prepare_data_dir

    config = cli_config(ctx)
    db = prepare_data_dir(config)
    ctx.call_on_close(db.conn.close)
    return db


def env_for_children(config_path: str | None, overrides: dict[str, Any]) -> dict[str, str]:
    """Environment that gives child processes (web, agent) the same config."""
    from classbox.config import env_name

    env = dict(os.environ)
    if config_path:
        env["CLASSBOX_CONFIG"] = str(config_path)
    for flat, value in overrides.items():
        section, _, key = flat.rpartition(".")
        env[env_name(section, key)] = ",".join(value) if isinstance(value, list) else str(value)
    return env
