"""provisioning/firstboot: identity, secrets, an admin shown once, new SSH host keys, once only."""

from __future__ import annotations

import getpass
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from classbox.auth.users import authenticate, find_user
from classbox.storage import open_database
from tests.helpers import require_apt

FIRSTBOOT = Path(__file__).resolve().parents[2] / "provisioning" / "firstboot"


def run_firstboot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update({
        "FIRSTBOOT_CLASSBOX": str(Path(sys.executable).parent / "classbox"),
        "FIRSTBOOT_CONFIG": os.devnull,
        "FIRSTBOOT_DATA_DIR": str(tmp_path / "data"),
        "FIRSTBOOT_USER": getpass.getuser(),
        "FIRSTBOOT_CONSOLE": str(tmp_path / "console"),
        "FIRSTBOOT_ROOT": str(tmp_path / "root"),
        "TMPDIR": str(tmp_path),
    })
    return subprocess.run(["bash", str(FIRSTBOOT), *args], env=env, capture_output=True, text=True)


@pytest.fixture
def old_host_key(tmp_path):
    """The SSH host key every flashed copy of the image would share."""
    require_apt("ssh-keygen", "openssh-client")
    ssh = tmp_path / "root" / "etc" / "ssh"
    ssh.mkdir(parents=True)
    key = ssh / "ssh_host_ed25519_key.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBakedIntoTheImageForEveryBox000000000000 image\n")
    return key


@pytest.mark.peer
def test_first_boot_makes_identity_admin_and_host_keys(tmp_path, old_host_key):
    baked = old_host_key.read_text()
    result = run_firstboot(tmp_path)
    assert result.returncode == 0, result.stderr
    data = tmp_path / "data"
    assert re.fullmatch(r"cb-[0-9a-f]{12}", (data / "box_id").read_text().strip())
    secret_key = data / "secrets" / "secret_key"
    assert stat.S_IMODE(secret_key.stat().st_mode) == 0o600
    assert len(secret_key.read_text().strip()) == 64

    console = (tmp_path / "console").read_text()
    password = re.search(r"mot de passe : (\S+)", console).group(1)
    assert len(password) == 16
    assert password not in result.stdout + result.stderr  # never in the journal
    db = open_database(data)
    try:
        assert authenticate(db, "admin", password)["role"] == "admin"
        assert password not in find_user(db, "admin")["password_hash"]
    finally:
        db.conn.close()
    assert old_host_key.read_text() != baked
    assert not list(tmp_path.glob("classbox-firstboot.*")), "the clear password file is left behind"


@pytest.mark.peer
def test_first_boot_runs_once(tmp_path, old_host_key):
    assert run_firstboot(tmp_path).returncode == 0
    key = (tmp_path / "data" / "secrets" / "secret_key").read_text()
    host_key = old_host_key.read_text()
    (tmp_path / "console").unlink()
    again = run_firstboot(tmp_path)
    assert again.returncode == 0 and "already done" in again.stdout
    assert (tmp_path / "data" / "secrets" / "secret_key").read_text() == key
    assert old_host_key.read_text() == host_key
    assert not (tmp_path / "console").exists()


def test_first_boot_uses_a_given_password_and_shows_nothing(tmp_path):
    given = tmp_path / "admin-password"
    given.write_text("mot-de-passe-du-coffre\n")
    result = run_firstboot(tmp_path, "--no-ssh-keys", "--admin-login", "tech", "--admin-password-file", str(given))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "console").exists()
    db = open_database(tmp_path / "data")
    try:
        assert authenticate(db, "tech", "mot-de-passe-du-coffre")["role"] == "admin"
    finally:
        db.conn.close()
    assert not (tmp_path / "root").exists()


def test_first_boot_rejects_an_unknown_option(tmp_path):
    result = run_firstboot(tmp_path, "--bogus")
    assert result.returncode == 2 and "unknown option --bogus" in result.stderr
    assert not (tmp_path / "data" / ".firstboot-done").exists()
