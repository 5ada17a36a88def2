"""Debian roots made with debootstrap (bookworm, trixie; amd64 or arm64 under qemu), cached as
tarballs keyed by suite, architecture and package list."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.parallel import lock
from tests.provisioning.chroot_support import ENV, Chroot

CACHE = Path("/var/cache/classbox-tests")
MIRROR = "http://deb.debian.org/debian"
# The suites the chroot tests bake: both with CI=true, bookworm alone otherwise (a developer's
# quicker run); CLASSBOX_TEST_SUITES=trixie (say) picks. Each suite's tests are an xdist unit of
# their own in `make test` (test_chroot.py); timings in docs/operations.md.
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SUITES = tuple(os.environ.get("CLASSBOX_TEST_SUITES", "bookworm,trixie" if IN_CI else "bookworm").split(","))
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
    "iproute2", "dbus", "avahi-daemon", "openssh-server", "redis-server",
])
# A foreign root is made under qemu, where every dpkg run and maintainer script is emulated:
# only what the roles install with the hotspot off (the arm64 test has no Wi-Fi), python3-apt
# for ansible's apt module and openssh-server, whose host keys first boot makes.
FOREIGN_PACKAGES = sorted([
    "systemd", "systemd-sysv", "systemd-timesyncd", "python3", "python3-apt", "python3-venv",
    "locales", "tzdata", "unattended-upgrades", "nginx", "nftables", "openssh-server",
])
# dpkg settings of a foreign root, written between the two stages: no fsync (a throwaway root)
# and no documentation, manual pages or message catalogues to unpack under emulation.
FOREIGN_DPKG_CFG = """force-unsafe-io
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
"""


def packages(arch: str = HOST_ARCH) -> list[str]:
    """What debootstrap includes in a root of arch."""
    return PACKAGES if arch == HOST_ARCH else FOREIGN_PACKAGES


def cache_key(suite: str, arch: str = HOST_ARCH) -> str:
    """Hash of what goes into the root: suite, architecture, mirror, variant and package list
    (and a foreign root's dpkg settings)."""
    extra = [FOREIGN_DPKG_CFG] if arch != HOST_ARCH else []
    text = "\n".join([suite, arch, MIRROR, "minbase", *packages(arch), *extra])
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


def _run_stage(name: str, command: list[str], build: Path, figures: dict[str, float]) -> None:
    """Run one debootstrap stage; put its wall and CPU seconds (its processes', emulated ones
    included: on a busy machine the wall time says more about the others) in figures, or raise
    with the end of its log."""
    started, cpu = time.monotonic(), children_cpu()
    done = subprocess.run(command, capture_output=True, text=True, env=ENV)
    if done.returncode != 0:
        log = build / "debootstrap/debootstrap.log"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise RuntimeError(f"{' '.join(command[:5])} failed: {(done.stdout + done.stderr)[-3000:]}\n{tail}")
    figures[f"{name}_s"] = round(time.monotonic() - started, 1)
    figures[f"{name}_cpu_s"] = round(children_cpu() - cpu, 1)


def children_cpu() -> float:
    """User + system CPU seconds of the ended child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _keep_only_the_roots_packages(build: Path) -> None:
    """Cut the apt lists of a foreign root, between the stages, to the stanzas of the packages
    the first stage fetched: the second stage scans them with perl for each package with
    pre-dependencies, and an emulated perl takes about a minute per scan of trixie's 56 MB list.
    Apt in the root then knows only its own packages (every one the roles install)."""
    wanted = {line.split()[0].encode() for line in (build / "debootstrap/debpaths").read_text().splitlines()
              if line.strip()}
    for lists in (build / "var/lib/apt/lists").glob("*_Packages"):
        stanzas = lists.read_bytes().split(b"\n\n")
        kept = [stanza for stanza in stanzas
                if stanza.startswith(b"Package: ") and stanza.split(b"\n", 1)[0][9:].strip() in wanted]
        lists.write_bytes(b"\n\n".join(kept) + b"\n")


def _debootstrap(debootstrap: str, suite: str, arch: str, build: Path, debs: Path) -> dict[str, float]:
    """debootstrap suite/arch into build, at nice 19 (the machine's other work first); a foreign
    arch in two stages, the second under qemu. Return each stage's seconds."""
    foreign = arch != HOST_ARCH
    command = ["nice", "-n", "19", debootstrap, "--variant=minbase", f"--arch={arch}", f"--cache-dir={debs}",
               "--include=" + ",".join(packages(arch)), *(["--foreign"] if foreign else []), suite, str(build), MIRROR]
    seconds: dict[str, float] = {}
    if not foreign:
        _run_stage("debootstrap", command, build, seconds)
        return seconds
    enable_qemu(arch)
    _run_stage("first_stage", command, build, seconds)
    _keep_only_the_roots_packages(build)
    (build / "etc/dpkg/dpkg.cfg.d").mkdir(parents=True, exist_ok=True)
    (build / "etc/dpkg/dpkg.cfg.d/01-classbox-tests").write_text(FOREIGN_DPKG_CFG)
    _run_stage("second_stage", ["nice", "-n", "19", "chroot", str(build), "/debootstrap/debootstrap", "--second-stage"],
               build, seconds)
    # apt's package cache made once here, not by each run's first apt task under qemu.
    _run_stage("apt_cache", ["nice", "-n", "19", "chroot", str(build), "apt-cache", "gencaches"], build, seconds)
    return seconds


def _clear_dead_builds(suite: str, arch: str, cached: Path) -> None:
    """Remove what a killed build of this root left (its directory, the mounts in it, its partial
    tarball); called with the root's lock held, so no live build of it can be among them."""
    for build in CACHE.glob(f"build-{cache_key(suite, arch)}-*"):
        Chroot(build).remove()
    for partial in cached.parent.glob(cached.with_suffix(".partial-*").name):
        partial.unlink()


def _build(debootstrap: str, suite: str, arch: str, cached: Path) -> None:
    """debootstrap a root and store it as the cached tarball, its stages' seconds beside it."""
    debs = CACHE / f"debs-{suite}-{arch}"
    debs.mkdir(exist_ok=True)
    build = CACHE / f"build-{cache_key(suite, arch)}-{os.getpid()}"
    try:
        seconds = _debootstrap(debootstrap, suite, arch, build, debs)
        partial = cached.with_suffix(f".partial-{os.getpid()}")
        subprocess.run(["tar", "-C", str(build), "--numeric-owner", "-cf", str(partial), "."], check=True)
        cached.with_suffix(".json").write_text(json.dumps(seconds))
        os.replace(partial, cached)
    finally:
        Chroot(build).remove()  # unmounts what a killed debootstrap left, never deletes through it


def make_root(debootstrap: str, dest: Path, suite: str = "bookworm", arch: str = HOST_ARCH) -> None:
    """Fill dest with a suite/arch root: from the cached tarball, else debootstrap (and cache
    it, with how long each stage took beside it: root_figures). The apt lists count as fresh
    (the roles' apt tasks then download nothing: every package they need is in the root)."""
    dest.mkdir(parents=True, exist_ok=True)
    cached = tarball(suite, arch)
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(cached.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run building the same root: wait for it, build once
        if not cached.exists():
            _clear_dead_builds(suite, arch, cached)
            _build(debootstrap, suite, arch, cached)
    subprocess.run(["tar", "-C", str(dest), "--numeric-owner", "-xpf", str(cached)], check=True)
    os.utime(dest / "var/lib/apt/lists")


def root_figures(suite: str, arch: str = HOST_ARCH) -> dict[str, float]:
    """Seconds each stage of the cached root of suite/arch took when it was built ({} if unknown)."""
    figures = tarball(suite, arch).with_suffix(".json")
    return json.loads(figures.read_text()) if figures.exists() else {}


def build_wheel(project: Path, dest: Path) -> Path:
    """Build classbox's wheel from the working tree into dest; one build at a time on this
    machine (setuptools builds in the tree's build/ and *.egg-info: two workers' builds at
    once, bookworm's and trixie's chroot tests, broke each other)."""
    dest.mkdir(parents=True, exist_ok=True)
    with lock(f"wheel-{hashlib.sha256(str(project).encode()).hexdigest()[:12]}"):
        built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                                "--wheel-dir", str(dest), str(project)], capture_output=True, text=True)
    if built.returncode != 0:
        raise RuntimeError(f"pip wheel {project} failed: {(built.stdout + built.stderr)[-3000:]}")
    return next(dest.glob("classbox-*.whl"))


def _platforms(suite: str, arch: str) -> list[str]:
    """pip's --platform options for every manylinux tag that suite's glibc runs."""
    newest = int(GLIBC[suite].split("_")[1])
    tags = [f"manylinux2014_{MACHINE[arch]}"] + [f"manylinux_2_{minor}_{MACHINE[arch]}" for minor in range(17, newest + 1)]
    return [option for tag in tags for option in ("--platform", tag)]


def wheelhouse(wheel: Path, project: Path, suite: str = "bookworm", arch: str = HOST_ARCH,
               extras: str = "") -> Path:
    """Binary wheels of classbox's dependencies for suite's Python on arch, for an offline
    install; cached by pyproject's hash and the target (downloaded once: other workers wait)."""
    python = PYTHON[suite]
    target = f"cp{python.replace('.', '')}-{MACHINE[arch]}-{GLIBC[suite]}{'-' + extras if extras else ''}"
    key = hashlib.sha256((project / "pyproject.toml").read_bytes() + target.encode()).hexdigest()[:16]
    folder = CACHE / f"wheelhouse-{target}-{key}"
    with lock(folder.name):
        if folder.exists():
            return folder
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
