"""Emulated CPU benchmark: what an arm64 bake costs per program under qemu-user, by CPU model.

    .venv/bin/python benchmarks/qemu_cpu.py [--rounds 3]      (root; qemu-user-static, debootstrap)

The cached arm64 trixie root of the tests (tests/provisioning/debian_root.py), unpacked once;
for qemu's default CPU ("max", the baseline: pointer authentication emulated in every function
of trixie's binaries) and for the one bake-image picks (a Raspberry Pi 4's Cortex-A72, no
pointer authentication): the CPU seconds (user + system, of the emulated processes) of
- `python3 -c pass` in the root,
- the stdlib imports of an Ansible module (json, subprocess, tempfile, zipfile...),
- an ad-hoc `ansible -m ping` through the chroot connection (the controller's share included),
  what each of the bake's ~60 tasks pays at least.
Prints the median of each and the ratio of the Cortex-A72 to the baseline.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import require_apt  # noqa: E402
from tests.provisioning.chroot_support import Chroot  # noqa: E402
from tests.provisioning.debian_root import enable_qemu, make_root  # noqa: E402

IMPORTS = "import json, subprocess, tempfile, locale, platform, shlex, hashlib, traceback, datetime, zipfile, runpy"
CPUS = {"max (qemu's default, baseline)": "max", "cortex-a72 (bake-image)": "cortex-a72"}


def cpu_seconds(command: list[str], qemu_cpu: str) -> float:
    """User + system CPU seconds of command and its children, QEMU_CPU set for them."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "QEMU_CPU": qemu_cpu,
           "ANSIBLE_NOCOLOR": "1", "ANSIBLE_PIPELINING": "1", "HOME": os.environ.get("HOME", "/root")}
    subprocess.run(command, check=True, capture_output=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    debootstrap = require_apt("debootstrap")
    ansible = require_apt("ansible", "ansible")
    enable_qemu("arm64")
    with tempfile.TemporaryDirectory(prefix="qemu-cpu-") as folder:
        root = Path(folder) / "root"
        try:
            make_root(debootstrap, root, "trixie", "arm64")
            commands = {
                "python3 -c pass": ["chroot", str(root), "/usr/bin/python3", "-c", "pass"],
                "stdlib imports": ["chroot", str(root), "/usr/bin/python3", "-c", IMPORTS],
                "ansible -m ping": [ansible, "-i", "arm,", "-c", "community.general.chroot", "-e",
                                    f"ansible_host={root}", "-e", "ansible_python_interpreter=/usr/bin/python3",
                                    "all", "-m", "ping"],
            }
            print(f"load average before: {os.getloadavg()}")
            medians = {}
            for label, cpu in CPUS.items():
                for name, command in commands.items():
                    medians[cpu, name] = statistics.median(cpu_seconds(command, cpu) for _ in range(args.rounds))
                    print(f"{label:32} {name:18} {medians[cpu, name]:6.2f} s CPU (median of {args.rounds})")
            for name in commands:
                print(f"ratio cortex-a72 / max, {name}: {medians['cortex-a72', name] / medians['max', name]:.2f}")
            print(f"load average after: {os.getloadavg()}")
        finally:
            Chroot(root).remove()


if __name__ == "__main__":
    main()
