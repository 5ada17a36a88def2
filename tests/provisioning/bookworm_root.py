"""A Debian bookworm root made with debootstrap, cached as a tarball keyed by its package list."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

CACHE = Path("/var/cache/classbox-tests")
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
# What the roles install, preinstalled so that a run needs no download; ansible's apt module
# needs python3-apt, the chroot connection needs python3.
PACKAGES = sorted([
    "systemd", "systemd-sysv", "systemd-timesyncd", "python3", "python3-apt", "python3-venv",
    "locales", "tzdata", "unattended-upgrades", "nginx", "nftables", "hostapd", "dnsmasq",
    "iproute2", "dbus", "avahi-daemon", "openssh-server",
])


def cache_key() -> str:
    """Hash of what goes into the root: suite, mirror, variant and package list."""
    text = "\n".join([SUITE, MIRROR, "minbase", *PACKAGES])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tarball() -> Path:
    return CACHE / f"bookworm-{cache_key()}.tar"


def make_root(debootstrap: str, dest: Path) -> None:
    """Fill dest with a bookworm root: from the cached tarball, else debootstrap (and cache it)."""
    dest.mkdir(parents=True, exist_ok=True)
    cached = tarball()
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        debs = CACHE / "debs"
        debs.mkdir(exist_ok=True)
        build = CACHE / f"build-{cache_key()}-{os.getpid()}"
        try:
            done = subprocess.run([debootstrap, "--variant=minbase", f"--cache-dir={debs}",
                                   "--include=" + ",".join(PACKAGES), SUITE, str(build), MIRROR],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"debootstrap failed: {(done.stdout + done.stderr)[-3000:]}")
            partial = cached.with_suffix(f".partial-{os.getpid()}")
            subprocess.run(["tar", "-C", str(build), "--numeric-owner", "-cf", str(partial), "."], check=True)
            os.replace(partial, cached)
        finally:
            shutil.rmtree(build, ignore_errors=True)
    subprocess.run(["tar", "-C", str(dest), "--numeric-owner", "-xpf", str(cached)], check=True)


def build_wheel(project: Path, dest: Path) -> Path:
    """Build classbox's wheel from the working tree into dest."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(dest), str(project)], check=True, capture_output=True, text=True)
    return next(dest.glob("classbox-*.whl"))


def wheelhouse(wheel: Path, project: Path) -> Path:
    """Dependency wheels of classbox for an offline install, cached by pyproject's hash."""
    key = hashlib.sha256((project / "pyproject.toml").read_bytes()).hexdigest()[:16]
    folder = CACHE / f"wheelhouse-{key}"
    if not folder.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = CACHE / f"wheelhouse-{key}.partial-{os.getpid()}"
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(partial), str(wheel)],
                       check=True, capture_output=True, text=True)
        for own in partial.glob("classbox-*.whl"):
            own.unlink()
        os.replace(partial, folder)
    return folder
