"""Teacher and admin accounts: creation, argon2id passwords, verification."""

from __future__ import annotations

import datetime
import re
import secrets
import threading
from typing import Any, Callable, TypeVar

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from classbox.auth.passwords import WeakPasswordError, check_password
from classbox.runtime.offload import off_loop
from classbox.web.i18n_marks import N_, ShownError

T = TypeVar("T")
ROLES = ("teacher", "admin")
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters (64 MiB each)
ARGON2_SLOTS = 2  # hashes at once: 2 cores busy at most, 128 MiB, whatever the number of logins
_slots: list[threading.BoundedSemaphore] = []


def _argon2(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) of the hasher in a thread off gevent's loop, at most ARGON2_SLOTS at once."""
    if not _slots:  # made on first use, after gevent has patched threading in a gevent worker
        _slots.append(threading.BoundedSemaphore(ARGON2_SLOTS))
    with _slots[0]:
        return off_loop(fn, *args)


class UserError(ShownError, ValueError):
    """A user-facing problem with an account operation (English for the CLI, French for pages)."""


def hash_password(password: str, login: str = "", display_name: str = "") -> str:
    """An argon2id hash of a password, once it is known to be neither short nor guessable."""
    try:
        off_loop(check_password, password, login, display_name)  # zxcvbn: pure Python, up to ~0.1 s
    except WeakPasswordError as err:
        raise UserError(str(err), err.shown, **err.params) from None
    return _argon2(_hasher.hash, password)


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
            [login, role, hash_password(password, login, display_name), display_name or login,
             datetime.datetime.now(datetime.timezone.utc).isoformat()],
        )
    return int(cursor.lastrowid)


def _account(db: sqlite_utils.Database, login: str) -> dict:
    """The account named `login`; UserError if there is none."""
    user = find_user(db, login)
    if user is None:
        raise UserError(f"no account named {login!r}", N_("aucun compte %(login)s"), login=login)
    return user


def set_password(db: sqlite_utils.Database, login: str, password: str) -> None:
    """Replace an account's password; every cookie of the account stops working."""
    user = _account(db, login)
    with db.conn:
        db.conn.execute("UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE id = ?",
                        [hash_password(password, login, user["display_name"] or ""), user["id"]])
    _revoked(user["id"])


def set_disabled(db: sqlite_utils.Database, login: str, disabled: bool) -> None:
    """Disable (revoking every cookie of the account) or re-enable an account."""
    user = _account(db, login)
    with db.conn:
        db.conn.execute("UPDATE users SET disabled = ?, session_epoch = session_epoch + ? WHERE id = ?",
                        [int(disabled), int(disabled), user["id"]])
    if disabled:
        _revoked(user["id"])


def revoke_sessions(db: sqlite_utils.Database, user_id: int) -> None:
    """End every session of an account, on every device (its cookies no longer open anything)."""
    with db.conn:
        db.conn.execute("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = ?", [user_id])
    _revoked(user_id)


def _revoked(user_id: int) -> None:
    """Tell the features of this web process (live connections) that an account's sessions ended."""
    from flask import has_app_context

    if has_app_context():
        from classbox.features import hooks

        for hook in hooks("account_revoked"):
            hook(user_id)


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


def _matches(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash (False, never an exception, for a mismatch)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(db: sqlite_utils.Database, login: str, password: str) -> dict | None:
    """The account if the password matches and the account is enabled, else None.

    argon2 runs in a thread off gevent's loop: other requests go on while a password is checked.
    """
    user = find_user(db, login)
    if user is None:
        _argon2(_hasher.hash, password or "x")  # spend the same time whether or not the login exists
        return None
    if not _argon2(_matches, user["password_hash"], password) or user["disabled"]:
        return None
    if _hasher.check_needs_rehash(user["password_hash"]):
        with db.conn:
            db.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                            [_argon2(_hasher.hash, password), user["id"]])
    return user
