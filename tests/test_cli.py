"""The command line: every command documented, init, users, db check and backup."""

from __future__ import annotations

import stat
from contextlib import closing

import click
import pytest

from classbox.cli import cli
from classbox.auth.users import authenticate
from classbox.storage import open_database


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


def test_help_lists_the_contract_commands(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("init", "serve", "web", "agent", "user", "db"):
        assert f"  {name} " in result.output


@pytest.mark.parametrize("path,command", list(all_commands(cli)), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help_text(runner, path, command):
    assert (command.help or "").strip(), f"`classbox {' '.join(path)}` has no help text"
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"option {param.opts} of `classbox {' '.join(path)}` has no help"


def invoke(runner, data_dir, *args, **kwargs):
    return runner.invoke(cli, ["--config", "/dev/null", "--data-dir", str(data_dir), *args], **kwargs)


def test_init_makes_private_secrets(runner, tmp_path):
    result = invoke(runner, tmp_path / "d", "init")
    assert result.exit_code == 0, result.output
    secret = tmp_path / "d" / "secrets" / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_text().strip()) == 64
    first = secret.read_text()
    assert invoke(runner, tmp_path / "d", "init").exit_code == 0
    assert secret.read_text() == first, "init never replaces an existing secret"


def test_two_boxes_get_different_secrets(runner, tmp_path):
    invoke(runner, tmp_path / "a", "init")
    invoke(runner, tmp_path / "b", "init")
    assert (tmp_path / "a/secrets/secret_key").read_text() != (tmp_path / "b/secrets/secret_key").read_text()
    assert (tmp_path / "a/box_id").read_text() != (tmp_path / "b/box_id").read_text()


def test_user_add_and_passwd_from_file(runner, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("un-mot-de-passe\n")
    result = invoke(runner, tmp_path / "d", "user", "add", "--role", "teacher", "--password-file", str(pw), "mme.durand")
    assert result.exit_code == 0, result.output
    with closing(open_database(tmp_path / "d")) as db:
        user = authenticate(db, "mme.durand", "un-mot-de-passe")
        assert user and user["role"] == "teacher"
        assert user["password_hash"].startswith("$argon2id$")

        pw.write_text("nouveau-secret\n")
        assert invoke(runner, tmp_path / "d", "user", "passwd", "--password-file", str(pw), "mme.durand").exit_code == 0
        assert authenticate(db, "mme.durand", "un-mot-de-passe") is None
        assert authenticate(db, "mme.durand", "nouveau-secret") is not None


def test_user_add_from_prompt(runner, tmp_path):
    result = invoke(runner, tmp_path / "d", "user", "add", "--role", "admin", "tech", input="Girafe-Bleue-Tambour-7\nGirafe-Bleue-Tambour-7\n")
    assert result.exit_code == 0, result.output
    assert "Girafe-Bleue-Tambour-7" not in result.output
    with closing(open_database(tmp_path / "d")) as db:
        assert authenticate(db, "tech", "Girafe-Bleue-Tambour-7")["role"] == "admin"


@pytest.mark.parametrize("args,message", [
    (("--role", "pupil", "x1"), "Invalid value for '--role'"),
    (("--role", "teacher", "Bad Login"), "login: 2-64 characters"),
])
def test_user_add_rejects_bad_input(runner, tmp_path, args, message):
    pw = tmp_path / "pw"
    pw.write_text("un-mot-de-passe\n")
    result = invoke(runner, tmp_path / "d", "user", "add", "--password-file", str(pw), *args)
    assert result.exit_code != 0
    assert message in result.output


def test_short_password_and_duplicate_login(runner, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("court\n")
    result = invoke(runner, tmp_path / "d", "user", "add", "--role", "teacher", "--password-file", str(pw), "prof")
    assert result.exit_code == 1 and "too short" in result.output
    pw.write_text("assez-long-1\n")
    assert invoke(runner, tmp_path / "d", "user", "add", "--role", "teacher", "--password-file", str(pw), "prof").exit_code == 0
    again = invoke(runner, tmp_path / "d", "user", "add", "--role", "teacher", "--password-file", str(pw), "prof")
    assert again.exit_code == 1 and "already exists" in again.output


def test_db_check_and_backup(runner, tmp_path):
    assert invoke(runner, tmp_path / "d", "init").exit_code == 0
    check = invoke(runner, tmp_path / "d", "db", "check")
    assert check.exit_code == 0 and check.output.strip() == "ok"
    backup = invoke(runner, tmp_path / "d", "db", "backup", str(tmp_path / "b.db"))
    assert backup.exit_code == 0 and (tmp_path / "b.db").exists()

    db_file = tmp_path / "d" / "classbox.db"
    for suffix in ("-wal", "-shm"):
        db_file.with_name(db_file.name + suffix).unlink(missing_ok=True)
    db_file.write_bytes(b"\0" * 100 + db_file.read_bytes()[100:])
    assert invoke(runner, tmp_path / "d", "db", "check").exit_code == 1
