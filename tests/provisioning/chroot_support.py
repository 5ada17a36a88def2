"""A Debian root to run commands in with chroot(8), and the host's /proc, /sys, /dev inside it."""

from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

# The CPU qemu-user emulates for a foreign (arm64) root's programs, as provisioning/bake-image
# sets it: a Raspberry Pi 4's Cortex-A72. qemu's default "max" CPU has pointer authentication,
# which trixie's binaries use in every function and qemu emulates slowly (3 to 4 times the CPU
# per program). Read by qemu-user only: a native root's programs ignore it.
QEMU_CPU = "cortex-a72"
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "QEMU_CPU": QEMU_CPU}


class Chroot:
    """A Debian root; commands run in it with chroot(8)."""

    def __init__(self, path: Path):
        self.path = path

    def run(self, *command: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(["chroot", str(self.path), *command], capture_output=True, text=True,
                              env=ENV, timeout=timeout)

    def mounts(self) -> list[str]:
        """Mount points inside the root (bake-image must leave none behind)."""
        prefix = str(self.path) + "/"
        with open("/proc/self/mounts", encoding="utf-8") as handle:
            return [line.split()[1] for line in handle if line.split()[1].startswith(prefix)]

    def remove(self) -> None:
        """Delete the root, never through a leftover bind mount of the host's /dev."""
        for target in reversed(self.mounts()):
            subprocess.run(["umount", "--lazy", target], check=False)
        if not self.mounts():
            shutil.rmtree(self.path, ignore_errors=True)


@contextmanager
def mounted(root: Path):
    """/proc, /sys and /dev of the host inside root for the duration (unmounted after)."""
    targets = []
    try:
        for target, args in (("proc", ["-t", "proc", "proc"]), ("sys", ["-t", "sysfs", "sysfs"]),
                             ("dev", ["--bind", "/dev"])):
            subprocess.run(["mount", *args, str(root / target)], check=True)
            targets.append(root / target)
        yield
    finally:
        for target in reversed(targets):
            subprocess.run(["umount", "--lazy", str(target)], check=False)
