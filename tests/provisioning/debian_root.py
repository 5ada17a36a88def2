"""Debian roots made with debootstrap (bookworm, trixie; amd64 or arm64 under qemu), cached as
tarballs keyed by suite, architecture and package list."""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

CACHE = Path("/var/cache/classbox-tests")
MIRROR = "http://deb.debian.org/debian"
# The suites the chroot tests bake (CLASSBOX_TEST_SUITES=bookworm,trixie): bookworm alone by default
# until trixie's bake and its in-root run on Python 3.13 fit the suite's time budget (issue 21).
SUITES = tuple(os.environ.get("CLASSBOX_TEST_SUITES", "bookworm").split(","))
# Python and glibc of each suite: the wheelhouse holds the wheels that run there.
PYTHON = {"bookworm": "3.11", "trixie": "3.13"}
GLIBC = {"bookworm": "2_36", "trixie": "2_41"}
HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
MACHINE = {"amd64": "x86_64", "arm64": "aarch64"}
# What the roles install, preinstalled so that a run needs no download; ansible's apt module
# needs python3-apt, the chroot connection needs python3.
PACKAGES = sorted([
    "systemd", "systemd-sysv", "systemd-timesyncd", "python3", "python3-apt", "python3-venv",
    "locales", "tzdata", "unattended-upgrades", "nginx", "nftables", "hostapd", "dnsmasq",
    "iproute2", "dbus", "avahi-daemon", "openssh-server",
])


def cache_key(suite: str, arch: str = HOST_ARCH) -> str:
    """Hash of what goes into the root: suite, architecture, mirror, variant and package list."""
    text = "\n".join([suite, arch, MIRROR, "minbase", *PACKAGES])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tarball(suite: str, arch: str = HOST_ARCH) -> Path:
    """Where the cached root of suite/arch lives."""
    return CACHE / f"{suite}-{arch}-{cache_key(suite, arch)}.tar"


def enable_qemu(arch: str) -> None:
    """Let the kernel run arch's programs through qemu-user-static (binfmt_misc, fix-binary)."""
    if arch == HOST_ARCH:
        return
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)], check=True)
    name = f"qemu-{MACHINE[arch]}"
    if not (binfmt / name).exists():
        subprocess.run(["update-binfmts", "--enable", name], check=True, capture_output=True, text=True)


def _debootstrap(debootstrap: str, suite: str, arch: str, build: Path, debs: Path) -> None:
    """debootstrap suite/arch into build; a foreign arch in two stages, the second under qemu."""
    foreign = arch != HOST_ARCH
    command = [debootstrap, "--variant=minbase", f"--arch={arch}", f"--cache-dir={debs}",
               "--include=" + ",".join(PACKAGES), *(["--foreign"] if foreign else []), suite, str(build), MIRROR]
    stages = [command]
    if foreign:
        enable_qemu(arch)
        stages.append(["chroot", str(build), "/debootstrap/debootstrap", "--second-stage"])
    for stage in stages:
        done = subprocess.run(stage, capture_output=True, text=True,
                              env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})
        if done.returncode != 0:
            log = build / "debootstrap/debootstrap.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{stage[0]} failed: {(done.stdout + done.stderr)[-3000:]}\n{tail}")


def make_root(debootstrap: str, dest: Path, suite: str = "bookworm", arch: str = HOST_ARCH) -> None:
    """Fill dest with a suite/arch root: from the cached tarball, else debootstrap (and cache it)."""
    dest.mkdir(parents=True, exist_ok=True)
    cached = tarball(suite, arch)
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        debs = CACHE / f"debs-{suite}-{arch}"
        debs.mkdir(exist_ok=True)
        build = CACHE / f"build-{cache_key(suite, arch)}-{os.getpid()}"
        try:
            _debootstrap(debootstrap, suite, arch, build, debs)
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


def _platforms(suite: str, arch: str) -> list[str]:
    """pip's --platform options for every manylinux tag that suite's glibc runs."""
    newest = int(GLIBC[suite].split("_")[1])
    tags = [f"manylinux2014_{MACHINE[arch]}"] + [f"manylinux_2_{minor}_{MACHINE[arch]}" for minor in range(17, newest + 1)]
    return [option for tag in tags for option in ("--platform", tag)]


def wheelhouse(wheel: Path, project: Path, suite: str = "bookworm", arch: str = HOST_ARCH,
               extras: str = "") -> Path:
    """Binary wheels of classbox's dependencies for suite's Python on arch, for an offline
    install; cached by pyproject's hash and the target."""
    python = PYTHON[suite]
    target = f"cp{python.replace('.', '')}-{MACHINE[arch]}-{GLIBC[suite]}{'-' + extras if extras else ''}"
    key = hashlib.sha256((project / "pyproject.toml").read_bytes() + target.encode()).hexdigest()[:16]
    folder = CACHE / f"wheelhouse-{target}-{key}"
    if not folder.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = CACHE / f"wheelhouse-{key}.partial-{os.getpid()}"
        requirement = f"{wheel}[{extras}]" if extras else str(wheel)
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(partial),
                               "--only-binary=:all:", "--python-version", python, "--implementation", "cp",
                               *_platforms(suite, arch), requirement],
                              capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            raise RuntimeError(f"pip download failed for {target}: {done.stderr[-3000:]}")
        for own in partial.glob("classbox-*.whl"):
            own.unlink()
        os.replace(partial, folder)
    return folder
