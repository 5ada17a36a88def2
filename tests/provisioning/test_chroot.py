"""The roles applied to real Debian roots (12 bookworm and 13 trixie: both with CI=true) in a
chroot, as bake-image does to an image; on trixie the package imports and a few of its tests
pass on its Python 3.13 (all of them with CLASSBOX_TEST_IN_ROOT=full: tests/provisioning/in_root.py).

Afterwards classbox is installed in its venv under /opt/classbox, configured, its units in
place and enabled, nothing started; a second run changes nothing; a missing inventory variable
stops the run with the assert's message before any change. Needs root (debootstrap, chroot).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from classbox.config import load_config
from tests.helpers import IS_ROOT, require_apt
from tests.provisioning import in_root
from tests.provisioning.ansible_support import ROOT, ansible_env
from tests.provisioning.chroot_support import Chroot, mounted
from tests.provisioning.debian_root import PYTHON, SUITES, build_wheel, make_root, wheelhouse

pytestmark = [pytest.mark.peer, pytest.mark.slow]

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap(stdout: str) -> dict[str, int]:
    """The PLAY RECAP line of the one host: {"ok": n, "changed": n, ...}."""
    match = RECAP.search(stdout)
    assert match, stdout[-3000:]
    return dict(zip(["ok", "changed", "unreachable", "failed"], map(int, match.groups()[1:])))


BAKE_IMAGE = ROOT / "provisioning" / "bake-image"


def bake(tmp: Path, root: Path, inventory: Path, *extra: str) -> subprocess.CompletedProcess:
    """provisioning/bake-image --root: site.yml through the chroot connection."""
    return subprocess.run(["bash", str(BAKE_IMAGE), "--root", str(root), "-i", str(inventory),
                           "--limit", "ecole-test", "--", *extra],
                          env=ansible_env(tmp), capture_output=True, text=True, timeout=1200)


# Seconds each suite's tests take in `make test` on a quiet 2-core machine (docs/operations.md):
# the longest files are handed out first (tests/parallel.py), each suite on a worker of its own.
SECONDS = {"bookworm": 180, "trixie": 2400 if in_root.FULL else 300}


@pytest.fixture(scope="module", params=[
    pytest.param(suite, marks=[pytest.mark.xdist_group(f"chroot-{suite}"), pytest.mark.slow(SECONDS[suite])])
    for suite in SUITES])
def applied(request, tmp_path_factory):
    """Bake a fresh root of each suite twice; yield (chroot, first run, second run, inventory, tmp)."""
    suite = request.param
    if not IS_ROOT:
        pytest.skip("needs root: debootstrap and chroot")
    debootstrap = require_apt("debootstrap")
    require_apt("ansible-playbook", "ansible")
    tmp = tmp_path_factory.mktemp(f"chroot-{suite}")
    root = tmp / "root"
    chroot = Chroot(root)
    try:
        make_root(debootstrap, root, suite)
        (root / "etc/ssh/ssh_host_ed25519_key").write_text("a key every flashed box would share\n")
        wheel = build_wheel(ROOT, tmp / "dist")
        house = wheelhouse(wheel, ROOT, suite)
        inventory = tmp / "hosts.json"
        inventory.write_text(json.dumps({"classbox": {"hosts": {"ecole-test": {
            "classbox_wheel": str(wheel),
            "classbox_wheelhouse": str(house),
            "classbox_box_name": "École du test",
            "classbox_school_uai": "0630099K",
            "classbox_xapi_endpoint": "https://lrs.example.fr/xapi/",
            "classbox_xapi_username": "cb-0630099K",
            "classbox_xapi_password": "secret-du-lrs",
            "classbox_hotspot_enabled": True,
            "classbox_hotspot_ssid": "Classbox-Test",
            "classbox_hotspot_passphrase": "phrase-de-test-wifi",
            "classbox_base_timezone": "America/Cayenne",  # the role-prefixed name
            "classbox_journald_max_use": "32M",  # the name before it, still read
        }}}}))
        first = bake(tmp, root, inventory)
        assert first.returncode == 0, failed_tasks(first.stdout + "\n" + first.stderr) + first.stdout[-2000:]
        assert chroot.mounts() == [], "bake-image left mounts behind"
        second = bake(tmp, root, inventory)
        yield chroot, first, second, inventory, tmp
    finally:
        chroot.remove()


def test_first_run_installs_classbox_into_its_venv(applied):
    chroot, first, *_ = applied
    root = chroot.path
    assert recap(first.stdout)["failed"] == 0
    current = root / "opt/classbox/current"
    assert current.is_symlink() and os.readlink(current) == "/opt/classbox/venvs/0.1.0"
    version = chroot.run("/opt/classbox/current/bin/classbox", "--version")
    assert version.returncode == 0 and "0.1.0" in version.stdout, version.stderr
    imported = chroot.run("/opt/classbox/current/bin/python", "-c", "import classbox, gevent, libzim, zeroconf")
    assert imported.returncode == 0, imported.stderr


def test_config_and_secrets_are_in_place(applied):
    chroot, *_ = applied
    root = chroot.path
    toml = root / "etc/classbox/classbox.toml"
    assert stat.S_IMODE(toml.stat().st_mode) == 0o640
    config = load_config(path=toml, env={})
    assert config["box"]["school_uai"] == "0630099K" and config["box"]["name"] == "École du test"
    assert config["web"]["behind_nginx"] is True and config["web"]["host"] == "127.0.0.1"
    assert config["sync.xapi"]["password_file"] == "/etc/classbox/secrets/xapi_password"
    secret = root / "etc/classbox/secrets/xapi_password"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    uid = int(chroot.run("id", "-u", "classbox").stdout)
    assert secret.stat().st_uid == uid and secret.read_text().strip() == "secret-du-lrs"
    assert "secret-du-lrs" not in toml.read_text()


def test_image_has_no_identity_until_first_boot(applied):
    """Every box flashed from the image must get its own box id, secret key and SSH keys."""
    chroot, *_ = applied
    data = chroot.path / "var/lib/classbox"
    assert data.is_dir()
    assert not (data / "box_id").exists() and not (data / "secrets").exists()
    assert not (data / "classbox.db").exists()
    assert os.access(chroot.path / "usr/local/sbin/classbox-firstboot", os.X_OK)
    assert not list((chroot.path / "etc/ssh").glob("ssh_host_*")), "the image keeps SSH host keys"
    assert not (chroot.path / "usr/sbin/policy-rc.d").exists()


@pytest.mark.parametrize("unit, wanted_by", [
    ("classbox-web.service", "multi-user.target"),
    ("classbox-agent.service", "multi-user.target"),
    ("classbox-firstboot.service", "multi-user.target"),
    ("classbox-backup.timer", "timers.target"),
    ("nginx.service", "multi-user.target"),
    ("nftables.service", "sysinit.target"),
    ("hostapd.service", "multi-user.target"),
])
def test_units_are_installed_and_enabled(applied, unit, wanted_by):
    chroot, *_ = applied
    enabled = chroot.run("systemctl", "is-enabled", unit)
    assert enabled.stdout.strip() == "enabled", enabled.stdout + enabled.stderr
    link = chroot.path / "etc/systemd/system" / f"{wanted_by}.wants" / unit
    assert link.is_symlink(), f"{link} missing"


def test_units_verify_in_the_image(applied):
    """The image's own systemd-analyze (trixie's 257 knows keys that bookworm's 252 does not)."""
    chroot, *_ = applied
    units = ["classbox-web.service", "classbox-agent.service", "classbox-backup.service",
             "classbox-backup.timer", "classbox-firstboot.service"]
    with mounted(chroot.path):
        result = chroot.run("systemd-analyze", "verify", *units)
    assert result.returncode == 0 and (result.stdout + result.stderr).strip() == "", result.stdout + result.stderr


def test_avahi_is_masked_when_classbox_owns_mdns(applied):
    chroot, *_ = applied
    assert chroot.run("systemctl", "is-enabled", "avahi-daemon.service").stdout.strip() == "masked"


def test_nginx_accepts_the_site(applied):
    chroot, *_ = applied
    enabled = chroot.path / "etc/nginx/sites-enabled/classbox"
    assert os.readlink(enabled) == "/etc/nginx/sites-available/classbox"
    site = (chroot.path / "etc/nginx/sites-available/classbox").read_text()
    assert "location /_blobs/" in site and "alias /var/lib/classbox/blobs/;" in site
    assert not (chroot.path / "etc/nginx/sites-enabled/default").exists()
    zim_cache = [line.split() for line in (chroot.path / "etc/fstab").read_text().splitlines()
                 if "/var/cache/nginx/classbox-zim" in line]
    assert [fields[:3] for fields in zim_cache] == [["tmpfs", "/var/cache/nginx/classbox-zim", "tmpfs"]]
    assert "size=160m" in zim_cache[0][3]  # the ZIM page cache is on a RAM disk, not the SD card
    checked = chroot.run("nginx", "-t")
    assert checked.returncode == 0, checked.stderr


def test_base_settings_spare_the_sd_card(applied):
    chroot, *_ = applied
    root = chroot.path
    journald = (root / "etc/systemd/journald.conf.d/50-classbox.conf").read_text()
    assert "Storage=volatile" in journald and "RuntimeMaxUse=32M" in journald
    assert os.readlink(root / "etc/localtime").endswith("America/Cayenne")
    assert "fr_FR.UTF-8" in chroot.run("locale", "-a").stdout.replace("utf8", "UTF-8")
    assert (root / "etc/hostname").read_text().strip() == "ecole-test"


def test_the_root_is_the_suite_under_test(applied, request):
    chroot, *_ = applied
    suite = request.node.callspec.params["applied"]
    release = (chroot.path / "etc/os-release").read_text()
    assert f"VERSION_CODENAME={suite}" in release, release


def test_an_old_variable_name_is_reported_with_its_new_name(applied):
    _, first, *_ = applied
    assert "DEPRECATED: classbox_journald_max_use is renamed classbox_base_journald_max_use" in first.stdout


def test_second_run_changes_nothing(applied):
    _, _, second, *_ = applied
    assert second.returncode == 0, second.stdout[-6000:]
    counts = recap(second.stdout)
    changed = [line for line in second.stdout.splitlines() if line.startswith("changed:")]
    assert counts["changed"] == 0 and counts["failed"] == 0, changed


def test_missing_variable_stops_before_any_change(applied):
    chroot, _, _, inventory, tmp = applied
    result = bake(tmp, chroot.path, inventory, "-e", "classbox_box_name=''")
    assert result.returncode != 0
    assert "missing or invalid inventory variables for ecole-test: classbox_box_name" in result.stdout
    assert recap(result.stdout)["changed"] == 0


def test_the_package_runs_on_the_suites_python(applied, request):
    """On the suite's Python (trixie: its 3.13), inside the baked root against the installed
    wheel: every classbox module imports with warnings as errors, and a few of the package's
    tests pass (in_root.QUICK, among them the idle-writes benchmark's box stopped by a signal
    inside a chroot, which refuses user namespaces). Bookworm's 3.11 is the host's, whose run
    of the suite covers it."""
    chroot, _, _, _, tmp = applied
    suite = request.node.callspec.params["applied"]
    version = chroot.run("python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])").stdout.strip()
    assert version == PYTHON[suite]
    if suite == "bookworm":
        assert version == "%d.%d" % sys.version_info[:2]
        return
    in_root.install_test_venv(chroot, ROOT, next((tmp / "dist").glob("classbox-*.whl")), suite)
    imported = in_root.import_all(chroot)
    assert imported.returncode == 0 and "modules imported" in imported.stdout, imported.stderr[-3000:]
    result = in_root.run_tests(chroot, in_root.QUICK, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert re.search(r"^\d+ passed", result.stdout.splitlines()[-1]), result.stdout[-500:]


if in_root.FULL:  # opt-in, never skipped under CI=true: collected only when asked for
    def test_package_tests_pass_on_the_suites_python(applied, request):
        """All the package's own tests (no peers) on trixie's Python 3.13 inside the root
        (CLASSBOX_TEST_IN_ROOT=full), on two pytest-xdist workers, as in_root.PYTEST says."""
        chroot, _, _, _, tmp = applied
        if request.node.callspec.params["applied"] == "bookworm":
            return  # the host's Python: the host's run of the suite
        in_root.install_test_venv(chroot, ROOT, next((tmp / "dist").glob("classbox-*.whl")), "trixie")
        result = in_root.run_tests(chroot, ["tests"], "-n 2 --ignore=tests/e2e --ignore=tests/provisioning",
                                   timeout=5400)
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        assert re.search(r"^\d+ passed", result.stdout.splitlines()[-1]), result.stdout[-500:]
        print("in the root:", result.stdout.splitlines()[-1])  # shown by pytest -rP


def test_a_venv_of_the_previous_python_is_rebuilt(applied):
    """After a Debian 12 -> 13 upgrade the venv's packages sit under lib/python3.11 while
    python3 is 3.13: running the play again rebuilds the venv (docs/operations.md). Only the
    role's install tasks run here (`--tags classbox_venv`, the tasks that check and rebuild
    the venv): the rest of the play is the first run's, checked by the other tests."""
    chroot, _, _, inventory, tmp = applied
    venv = chroot.path / "opt/classbox/venvs/0.1.0"
    (lib,) = (venv / "lib").glob("python3.*")
    lib.rename(lib.with_name("python3.10"))  # as if made by a Python the upgrade removed
    assert chroot.run("/opt/classbox/current/bin/classbox", "--version").returncode != 0
    again = bake(tmp, chroot.path, inventory, "--tags", "classbox_venv")
    assert again.returncode == 0, again.stdout[-6000:]
    removed = again.stdout.split("TASK [classbox : Remove a venv left behind by the previous Python", 1)[-1]
    assert removed.split("TASK [", 1)[0].count("changed: [ecole-test]") == 1, again.stdout[-3000:]
    version = chroot.run("/opt/classbox/current/bin/classbox", "--version")
    assert version.returncode == 0 and "0.1.0" in version.stdout, version.stderr
    assert not (venv / "lib/python3.10").exists()


def failed_tasks(output: str) -> str:
    """The task lines and errors of a failed Ansible run (its tail is mostly warnings)."""
    lines = output.splitlines()
    failed = [i for i, line in enumerate(lines) if "fatal:" in line or "FAILED!" in line or "[ERROR]" in line]
    return "\n".join("\n".join(lines[max(i - 2, 0):i + 30])[:4000] for i in failed) + "\n"
