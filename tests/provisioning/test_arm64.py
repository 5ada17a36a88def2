"""An arm64 (Raspberry Pi) image baked on this x86_64 host: bake-image --debootstrap trixie
--arch arm64 (debootstrap --foreign, second stage, Ansible's modules, pip) runs the image's own
arm64 programs through qemu-user-static; then first boot and the web unit's command run there,
under qemu too, and answer /healthz. The baked root is cached by its inputs (see arm64_root)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import IS_ROOT, free_port, require_apt, stop_process_group
from tests.provisioning.ansible_support import ROOT
from tests.provisioning.arm64_root import bake_arm64, cached_bake
from tests.provisioning.debian_root import build_wheel, wheelhouse
from tests.provisioning.chroot_support import Chroot, mounted

pytestmark = [pytest.mark.slow]
# A bake from scratch runs debootstrap's second stage and every Ansible module under qemu: more
# than an hour on the shared 2-core machine under load, too long for each run of the suite. It
# runs when its cached result exists (inputs unchanged) or when asked with CLASSBOX_TEST_ARM64=1.
WANTED = os.environ.get("CLASSBOX_TEST_ARM64", "") == "1"


def unit_settings(unit: Path) -> tuple[list[str], dict[str, str], str, str]:
    """(ExecStart argv, Environment, User, WorkingDirectory) of a systemd unit file."""
    text = unit.read_text()
    command = re.search(r"^ExecStart=(.+)$", text, re.M).group(1).split()
    env = dict(line.split("=", 1) for line in re.findall(r"^Environment=(\S+)$", text, re.M))
    return command, env, re.search(r"^User=(\S+)$", text, re.M).group(1), \
        re.search(r"^WorkingDirectory=(\S+)$", text, re.M).group(1)


@pytest.fixture(scope="module")
def pi_root(tmp_path_factory):
    """The baked arm64 root with the working tree's classbox installed; yields (chroot, figures)."""
    if not IS_ROOT:
        pytest.skip("needs root: debootstrap, binfmt_misc and chroot")
    if not (WANTED or cached_bake().exists()):
        pytest.skip(f"no cached arm64 bake ({cached_bake().name}): CLASSBOX_TEST_ARM64=1 builds it (over an hour)")
    debootstrap = require_apt("debootstrap")
    require_apt("ansible-playbook", "ansible")
    require_apt("qemu-aarch64-static", "qemu-user-static")
    require_apt("update-binfmts", "binfmt-support")
    tmp = tmp_path_factory.mktemp("arm64")
    chroot = Chroot(tmp / "root")
    try:
        wheel = build_wheel(ROOT, tmp / "dist")
        house = wheelhouse(wheel, ROOT, "trixie", "arm64")
        built, bake_seconds = bake_arm64(debootstrap, chroot.path, wheel, house, tmp)
        shutil.copytree(house, chroot.path / "srv/wheelhouse")
        shutil.copy(wheel, chroot.path / "srv/wheelhouse")
        started = time.monotonic()
        pip = ["/opt/classbox/current/bin/pip", "install", "--quiet", "--no-index", "--disable-pip-version-check",
               "--find-links", "/srv/wheelhouse"]
        for extra in (["--no-deps", "--force-reinstall"], []):  # this tree's code, then new dependencies
            installed = chroot.run(*pip, *extra, f"/srv/wheelhouse/{wheel.name}", timeout=900)
            assert installed.returncode == 0, installed.stderr[-3000:]
        figures = {"bake_built_now": built, "bake_s": round(bake_seconds),
                   "reinstall_s": round(time.monotonic() - started, 1)}
        yield chroot, figures
    finally:
        chroot.remove()


def test_the_image_is_arm64_trixie(pi_root):
    chroot, _ = pi_root
    assert chroot.run("dpkg", "--print-architecture").stdout.strip() == "arm64"
    assert "VERSION_CODENAME=trixie" in (chroot.path / "etc/os-release").read_text()
    machine = chroot.run("/opt/classbox/current/bin/python", "-c", "import platform; print(platform.machine())")
    assert machine.stdout.strip() == "aarch64", machine.stderr
    python = chroot.run("readlink", "-f", "/opt/classbox/current/bin/python").stdout.strip()
    elf = (chroot.path / python.lstrip("/")).read_bytes()[:20]
    assert elf[18] == 0xB7  # e_machine EM_AARCH64: the venv's python is an arm64 program


def test_first_boot_then_the_web_unit_answers_healthz_under_qemu(pi_root):
    """classbox-firstboot, then the web unit's ExecStart as its User with its Environment,
    all arm64 code run by qemu-aarch64 on this host; /healthz answers 200."""
    chroot, figures = pi_root
    root = chroot.path
    command, env, user, workdir = unit_settings(root / "etc/systemd/system/classbox-web.service")
    port = free_port()
    env |= {"CLASSBOX_WEB_PORT": str(port), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    with mounted(root):
        started = time.monotonic()
        first = chroot.run("env", "FIRSTBOOT_CONSOLE=/root/console.txt", "/usr/local/sbin/classbox-firstboot",
                           timeout=900)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        figures["firstboot_s"] = round(time.monotonic() - started, 1)
        assert (root / "var/lib/classbox/box_id").exists()
        runtime = re.search(r"^RuntimeDirectory=(\S+)$", (root / "etc/systemd/system/classbox-web.service").read_text(),
                            re.M)
        if runtime:  # what systemd makes before ExecStart
            made = chroot.run("install", "-d", "-o", user, "-g", user, "-m", "0750", f"/run/{runtime.group(1)}")
            assert made.returncode == 0, made.stderr
        started = time.monotonic()
        log = open(root.parent / "web.log", "wb")
        web = subprocess.Popen(["chroot", "--userspec", f"{user}:{user}", str(root), "sh", "-c",
                                f"cd {workdir} && exec " + " ".join(command)],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            answer = None
            while time.monotonic() - started < 600 and web.poll() is None:
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                    break
                except httpx.TransportError:
                    time.sleep(0.5)
            output = (root.parent / "web.log").read_text(errors="replace")[-3000:]
            assert answer is not None and answer.status_code == 200, output
            figures["web_ready_s"] = round(time.monotonic() - started, 1)
            emulated = subprocess.run(["ps", "-o", "args=", "--sid", str(web.pid)],
                                      capture_output=True, text=True).stdout
            # The kernel hands every arm64 program to qemu (binfmt_misc): gunicorn's processes
            # show the emulator in front of the image's python.
            assert "aarch64" in emulated and "/opt/classbox/current/bin/" in emulated, emulated
        finally:
            stop_process_group(web, timeout=60)
            log.close()
    print(f"\narm64 under qemu: {figures}; processes: {emulated.strip()!r}")
