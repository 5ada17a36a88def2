"""Preparing a data dir: folders, secrets generated once (mode 0600), box id, migrations."""

from __future__ import annotations

import os
import secrets
import uuid
from pathlib import Path

import sqlite_utils

from classbox import features
from classbox.config import Config, ConfigError
from classbox.storage import migrate, open_database

SECRETS_DIR = "secrets"


def _write_private(path: Path, text: str) -> None:
    """Write a file readable only by its owner, atomically."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def ensure_secret(data_dir: Path, name: str, nbytes: int = 32) -> str:
    """Return a secret stored under data_dir/secrets/, generating it on first use."""
    folder = data_dir / SECRETS_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        _write_private(path, secrets.token_hex(nbytes))
    return path.read_text(encoding="utf-8").strip()


def read_secret(data_dir: Path, name: str) -> str:
    """Read a secret made by `classbox init`; a missing one is a config error."""
    path = data_dir / SECRETS_DIR / name
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        raise ConfigError(f"{path}: missing secret; run `classbox init` first") from None


def box_id(config: Config) -> str:
    """The box's id: [box] id if set, else the one generated into the data dir."""
    if config["box"]["id"]:
        return config["box"]["id"]
    path = config.data_dir / "box_id"
    if not path.exists():
        path.write_text(f"cb-{uuid.uuid4().hex[:12]}\n", encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def prepare_data_dir(config: Config) -> sqlite_utils.Database:
    """Create the data dir and its secrets if missing, apply migrations, return the database."""
    data_dir = config.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "blobs").mkdir(exist_ok=True)
        (data_dir / "tmp").mkdir(exist_ok=True)
    except OSError as err:
        raise ConfigError(f"data_dir {data_dir}: cannot create ({err.strerror or err})") from None
    if not os.access(data_dir, os.W_OK):
        raise ConfigError(f"data_dir {data_dir}: not writable by this user")
    ensure_secret(data_dir, "secret_key")
    box_id(config)
    db = open_database(data_dir)
    try:
        migrate(db, features.migration_sets())
    except BaseException:
        db.conn.close()
        raise
    return db
