"""An arm64 (Raspberry Pi) trixie image made on this x86_64 host, every arm64 program of it run
by qemu-aarch64 through binfmt_misc (qemu-user-static): dpkg and the maintainer scripts of the
debootstrap second stage, Ansible's modules, python3 -m venv, pip, first boot, gunicorn. qemu
emulates a Raspberry Pi 4's Cortex-A72 (QEMU_CPU, set by bake-image): its default CPU's pointer
authentication, used in every function of trixie's binaries, costs 3 to 4 times the CPU.

Cached (/var/cache/classbox-tests/, like the amd64 roots): the debootstrapped root with every
package the roles install (keyed by suite, architecture, package list and dpkg settings; cold:
the second stage under qemu, about 10 min of CPU with qemu's default CPU), and the cp313/aarch64
wheelhouse (keyed by pyproject.toml's hash). Never keyed by the roles, units or code.
Every run: the roles applied to the unpacked root with `bake-image --root` (each task an
emulated python3, the venv and pip from the wheelhouse, the locale), classbox-firstboot, the web
unit's command, and /healthz asked. Each part's seconds (wall and CPU) and the slowest tasks
are printed with -s; the figures are in docs/operations.md ("How this is tested").
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import IS_ROOT, free_port, require_apt, stop_process_group
from tests.provisioning.ansible_support import ROOT, ansible_env
from tests.provisioning.chroot_support import QEMU_CPU, Chroot, mounted
from tests.provisioning.debian_root import (build_wheel, children_cpu, enable_qemu, make_root, root_figures, wheelhouse)

pytestmark = [pytest.mark.peer, pytest.mark.slow(750)]  # seconds in `make test`: handed out first

SUITE, ARCH = "trixie", "arm64"
BAKE_IMAGE = ROOT / "provisioning" / "bake-image"


def inventory(wheel: Path, house: Path) -> dict:
    """One school's inventory for the arm64 image (no hotspot: no Wi-Fi in the tests)."""
    return {"classbox": {"hosts": {"ecole-arm64": {
        "classbox_wheel": str(wheel),
        "classbox_wheelhouse": str(house),
        "classbox_box_name": "École du Pi",
        "classbox_school_uai": "0630042P",
    }}}}


def slowest_tasks(stdout: str, count: int = 8) -> list[str]:
    """The `count` slowest tasks of profile_tasks' summary, as "name: seconds"."""
    found = re.findall(r"^(.+?) -{3,} (\d+\.\d+)s$", stdout, re.M)
    return [f"{name.strip()}: {seconds}" for name, seconds in sorted(found, key=lambda f: -float(f[1]))[:count]]


@pytest.fixture(scope="module")
def pi_root(tmp_path_factory):
    """The cached arm64 root baked now with the working tree's roles and wheel; yields
    (chroot, bake-image's run, figures)."""
    if not IS_ROOT:
        pytest.skip("needs root: debootstrap, binfmt_misc and chroot")
    debootstrap = require_apt("debootstrap")
    require_apt("ansible-playbook", "ansible")
    require_apt("qemu-aarch64-static", "qemu-user-static")
    require_apt("update-binfmts", "binfmt-support")
    enable_qemu(ARCH)
    tmp = tmp_path_factory.mktemp("arm64")
    chroot = Chroot(tmp / "root")
    try:
        started = time.monotonic()
        make_root(debootstrap, chroot.path, SUITE, ARCH)
        figures = {"root_s": round(time.monotonic() - started, 1), "root_built": root_figures(SUITE, ARCH)}
        wheel = build_wheel(ROOT, tmp / "dist")
        house = wheelhouse(wheel, ROOT, SUITE, ARCH)
        hosts = tmp / "arm64-hosts.json"
        hosts.write_text(json.dumps(inventory(wheel, house)))
        started, cpu = time.monotonic(), children_cpu()
        env = ansible_env(tmp) | {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks"}
        baked = subprocess.run(["bash", str(BAKE_IMAGE), "--root", str(chroot.path), "-i", str(hosts),
                                "--limit", "ecole-arm64"], env=env, capture_output=True, text=True, timeout=3600)
        figures["roles_s"] = round(time.monotonic() - started, 1)
        figures["roles_cpu_s"] = round(children_cpu() - cpu, 1)
        figures["slowest_tasks"] = slowest_tasks(baked.stdout)
        yield chroot, baked, figures
    finally:
        chroot.remove()


def test_the_roles_apply_under_qemu(pi_root):
    chroot, baked, _ = pi_root
    assert baked.returncode == 0, baked.stdout[-6000:] + baked.stderr[-3000:]
    assert re.search(r"^ecole-arm64\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0", baked.stdout, re.M)
    for unit in ("classbox-web.service", "classbox-agent.service", "classbox-firstboot.service"):
        enabled = chroot.run("systemctl", "is-enabled", unit)
        assert enabled.stdout.strip() == "enabled", unit + enabled.stderr
    assert not (chroot.path / "usr/sbin/policy-rc.d").exists() and chroot.mounts() == []


def unit_settings(unit: Path) -> tuple[list[str], dict[str, str], str, str]:
    """(ExecStart argv, Environment, User, WorkingDirectory) of a systemd unit file."""
    text = unit.read_text()
    command = re.search(r"^ExecStart=(.+)$", text, re.M).group(1).split()
    env = dict(line.split("=", 1) for line in re.findall(r"^Environment=(\S+)$", text, re.M))
    return command, env, re.search(r"^User=(\S+)$", text, re.M).group(1), \
        re.search(r"^WorkingDirectory=(\S+)$", text, re.M).group(1)


def test_the_image_is_arm64_trixie(pi_root):
    chroot, *_ = pi_root
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
    chroot, baked, figures = pi_root
    assert baked.returncode == 0, baked.stdout[-3000:]
    root = chroot.path
    command, env, user, workdir = unit_settings(root / "etc/systemd/system/classbox-web.service")
    port = free_port()
    env |= {"CLASSBOX_WEB_PORT": str(port), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
            "QEMU_CPU": QEMU_CPU}
    with mounted(root):
        started, cpu = time.monotonic(), children_cpu()
        first = chroot.run("env", "FIRSTBOOT_CONSOLE=/root/console.txt", "/usr/local/sbin/classbox-firstboot",
                           timeout=900)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        figures["firstboot_s"] = round(time.monotonic() - started, 1)
        figures["firstboot_cpu_s"] = round(children_cpu() - cpu, 1)
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
            # show the emulator in front of the image's python (the venv's own path, not current/).
            assert re.search(r"qemu\S*aarch64\S* /opt/classbox/(current|venvs/[^/]+)/bin/python3", emulated), emulated
        finally:
            stop_process_group(web, timeout=60)
            log.close()
    print(f"\narm64 under qemu: {figures}; processes: {emulated.strip()!r}")
