"""An arm64 trixie root baked by provisioning/bake-image under qemu, cached by its inputs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

from tests.provisioning.ansible_support import ROOT, ansible_env
from tests.provisioning.chroot_support import Chroot
from tests.provisioning.debian_root import CACHE, MIRROR, PACKAGES, enable_qemu

SUITE, ARCH = "trixie", "arm64"
BAKE_IMAGE = ROOT / "provisioning" / "bake-image"
# What a baked root depends on: the roles and playbooks, the bake script and the units.
# classbox's code and dependencies are not in the key: each run installs the working tree's
# wheel over the cached one, with any dependency it lacks, from the current wheelhouse.
INPUTS = ["ansible", "provisioning", "systemd"]


def inventory(wheel: Path, house: Path) -> dict:
    """One school's inventory for the arm64 image (no hotspot: no Wi-Fi in the tests)."""
    return {"classbox": {"hosts": {"ecole-arm64": {
        "classbox_wheel": str(wheel),
        "classbox_wheelhouse": str(house),
        "classbox_box_name": "École du Pi",
        "classbox_school_uai": "0630042P",
    }}}}


def bake_key() -> str:
    """Hash of every input of the bake: files under INPUTS, package list and mirror."""
    digest = hashlib.sha256("\n".join([SUITE, ARCH, MIRROR, *PACKAGES]).encode())
    for top in INPUTS:
        path = ROOT / top
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def cached_bake() -> Path:
    """Where the baked root of the current inputs is (or would be) cached."""
    return CACHE / f"baked-{SUITE}-{ARCH}-{bake_key()}.tar"


def bake_arm64(debootstrap: str, dest: Path, wheel: Path, house: Path, tmp: Path) -> tuple[bool, float]:
    """Fill dest with the baked arm64 root: from the cache, else `bake-image --debootstrap
    trixie --arch arm64` (debootstrap --foreign, second stage and roles under qemu), cached.
    Return (built now, seconds the bake took)."""
    enable_qemu(ARCH)
    cached = cached_bake()
    built, seconds = False, 0.0
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        debs = CACHE / f"debs-{SUITE}-{ARCH}"
        debs.mkdir(exist_ok=True)
        build = CACHE / f"build-baked-{os.getpid()}"
        hosts = tmp / "arm64-hosts.json"
        hosts.write_text(json.dumps(inventory(wheel, house)))
        env = ansible_env(tmp)
        env["BAKE_DEBOOTSTRAP_OPTS"] = f"--variant=minbase --cache-dir={debs} --include={','.join(PACKAGES)}"
        env["PATH"] = f"{Path(debootstrap).parent}:{env['PATH']}"
        started = time.monotonic()
        try:
            done = subprocess.run(["bash", str(BAKE_IMAGE), "--debootstrap", SUITE, "--arch", ARCH,
                                   "--mirror", MIRROR, "--root", str(build), "-i", str(hosts), "--limit", "ecole-arm64"],
                                  env=env, capture_output=True, text=True, timeout=7200)
            if done.returncode != 0:
                raise RuntimeError(f"bake-image failed: {done.stdout[-5000:]}\n{done.stderr[-3000:]}")
            seconds = time.monotonic() - started
            partial = cached.with_suffix(f".partial-{os.getpid()}")
            subprocess.run(["tar", "-C", str(build), "--numeric-owner", "-cf", str(partial), "."], check=True)
            os.replace(partial, cached)
            built = True
        finally:
            Chroot(build).remove()  # unmounts what a killed bake left, never deletes through it
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-C", str(dest), "--numeric-owner", "-xpf", str(cached)], check=True)
    return built, seconds
