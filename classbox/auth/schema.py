"""The users table (teachers and admins; pupils have no account)."""

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("classbox.auth")


@migrations()
def m001_users(db: sqlite_utils.Database) -> None:
    """Teachers and admins, with an argon2id hash and a disabled flag."""
    db["users"].create(
        {"id": int, "login": str, "role": str, "password_hash": str, "display_name": str,
         "disabled": int, "created_at": str},
        pk="id", not_null={"login", "role", "password_hash"}, defaults={"disabled": 0},
    )
    db["users"].create_index(["login"], unique=True)


@migrations()
def m002_session_epoch(db: sqlite_utils.Database) -> None:
    """A per-account session epoch carried in the signed cookie: bumping it revokes every cookie."""
    db["users"].add_column("session_epoch", int, not_null_default=0)
