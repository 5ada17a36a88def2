"""Teacher and admin accounts: creation, argon2id passwords, verification."""

from __future__ import annotations

import datetime
import re
import secrets

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from classbox.web.i18n_marks import N_, ShownError

ROLES = ("teacher", "admin")
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class UserError(ShownError, ValueError):
    """A user-facing problem with an account operation (English for the CLI, French for pages)."""


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters",
                        N_("mot de passe trop court : %(min)s caractères au moins"), min=MIN_PASSWORD_LENGTH)
    return _hasher.hash(password)


def generate_password() -> str:
    """A random password that is easy to type on a tablet (about 70 bits)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(3))


def add_user(db: sqlite_utils.Database, login: str, role: str, password: str,
             display_name: str = "") -> int:
    """Create an account; raises UserError if the login is taken or invalid."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: choose teacher or admin",
                        N_("rôle inconnu : choisissez enseignant ou administrateur"))
    if not LOGIN_PATTERN.match(login):
        raise UserError("login: 2-64 characters, lowercase letters, digits, '.', '_' or '-'",
                        N_("identifiant : 2 à 64 caractères, lettres minuscules sans accent, chiffres, "
                           "« . », « _ » ou « - »"))
    if find_user(db, login) is not None:
        raise UserError(f"login {login!r} already exists", N_("l'identifiant %(login)s existe déjà"), login=login)
    with db.conn:
        cursor = db.conn.execute(
            "INSERT INTO users (login, role, password_hash, display_name, disabled, created_at) "
            "VALUES (?, ?, ?, ?, 0, ?)",
            [login, role, hash_password(password), display_name or login,
             datetime.datetime.now(datetime.timezone.utc).isoformat()],
        )
    return int(cursor.lastrowid)


def set_password(db: sqlite_utils.Database, login: str, password: str) -> None:
    """Replace an account's password."""
    if find_user(db, login) is None:
        raise UserError(f"no account named {login!r}", N_("aucun compte %(login)s"), login=login)
    with db.conn:
        db.conn.execute("UPDATE users SET password_hash = ? WHERE login = ?",
                        [hash_password(password), login])


def set_disabled(db: sqlite_utils.Database, login: str, disabled: bool) -> None:
    """Disable or re-enable an account (a disabled account cannot log in)."""
    if find_user(db, login) is None:
        raise UserError(f"no account named {login!r}", N_("aucun compte %(login)s"), login=login)
    with db.conn:
        db.conn.execute("UPDATE users SET disabled = ? WHERE login = ?", [int(disabled), login])


def find_user(db: sqlite_utils.Database, login: str) -> dict | None:
    """The account with this login, or None."""
    rows = list(db.query("SELECT * FROM users WHERE login = ?", [login]))
    return rows[0] if rows else None


def get_user(db: sqlite_utils.Database, user_id: int) -> dict | None:
    """The account with this id, or None."""
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    return rows[0] if rows else None


def list_users(db: sqlite_utils.Database) -> list[dict]:
    """Every account, without password hashes."""
    return list(db.query("SELECT id, login, role, display_name, disabled, created_at FROM users ORDER BY login"))


def authenticate(db: sqlite_utils.Database, login: str, password: str) -> dict | None:
    """The account if the password matches and the account is enabled, else None."""
    user = find_user(db, login)
    if user is None:
        _hasher.hash(password or "x")  # spend the same time whether or not the login exists
        return None
    try:
        _hasher.verify(user["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    if user["disabled"]:
        return None
    if _hasher.check_needs_rehash(user["password_hash"]):
        with db.conn:
            db.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                            [_hasher.hash(password), user["id"]])
    return user
