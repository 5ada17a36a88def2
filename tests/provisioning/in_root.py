"""The package's own tests run inside a baked Debian root, on the suite's Python (trixie: 3.13).

Every run (`make test`, CI): every classbox module imported with warnings as errors, and QUICK,
a small set of the package's tests touching what a new Python changes (sqlite3, the config's
TOML, the app and its pages, a real gunicorn + gevent box stopped by a signal, ZIM reading, the
outbox, password hashing, pupils joining): well under a minute on 3.13. The whole package's
tests (about 1,500, 27 min and more on two cores) only with CLASSBOX_TEST_IN_ROOT=full.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.provisioning.chroot_support import Chroot, mounted
from tests.provisioning.debian_root import wheelhouse

# CLASSBOX_TEST_IN_ROOT=full: also the whole package's tests inside the root (docs/operations.md).
FULL = os.environ.get("CLASSBOX_TEST_IN_ROOT", "") == "full"
QUICK = [
    "tests/test_smoke.py", "tests/test_config.py", "tests/storage/test_storage.py",
    "tests/storage/test_idle_writes_bench.py", "tests/library/test_packs.py", "tests/library/test_zim.py",
    "tests/sync/test_outbox.py", "tests/auth/test_passwords.py", "tests/classroom/test_join.py",
]
# Every classbox module imported, a module's DeprecationWarning (say) an error.
IMPORT_ALL = """
import importlib, pkgutil, classbox
names = [m.name for m in pkgutil.walk_packages(classbox.__path__, "classbox.") if not m.name.endswith(".__main__")]
for name in names:
    importlib.import_module(name)
print(len(names), "modules imported")
"""
# The host's settings for the package's tests: warnings as errors (pyproject.toml), among them
# 3.13's ResourceWarning for a sqlite3 connection left to the garbage collector; the installed
# wheel imported first (--import-mode=append); no peers (the minbase root has few packages).
PYTEST = ("cd /srv/src && HOME=/root /srv/venv/bin/python -m pytest -q -p no:cacheprovider"
          " --import-mode=append -W error::ResourceWarning -m 'not peer and not slow'")


def copy_tracked_files(project: Path, dest: Path) -> None:
    """The working tree's files under git (tests read docs/ and classbox/'s data files)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=project, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = project / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def install_test_venv(chroot: Chroot, project: Path, wheel: Path, suite: str) -> None:
    """/srv/venv in the root: the wheel with its [test] extra from the suite's wheelhouse, and
    the working tree's tests in /srv/src (made once per root)."""
    root = chroot.path
    if (root / "srv/venv/bin/pytest").exists():
        return
    shutil.copytree(wheelhouse(wheel, project, suite, extras="test"), root / "srv/wheelhouse", dirs_exist_ok=True)
    shutil.copy(wheel, root / "srv/wheelhouse")
    copy_tracked_files(project, root / "srv/src")
    installed = chroot.run("sh", "-c", "python3 -m venv /srv/venv && /srv/venv/bin/pip install --quiet --no-index"
                           f" --find-links /srv/wheelhouse '/srv/wheelhouse/{wheel.name}[test]'", timeout=900)
    assert installed.returncode == 0, installed.stderr[-3000:]


def import_all(chroot: Chroot) -> subprocess.CompletedProcess:
    """Import every classbox module with the root's Python, warnings as errors."""
    return chroot.run("/srv/venv/bin/python", "-W", "error", "-c", IMPORT_ALL, timeout=300)


def run_tests(chroot: Chroot, paths: list[str], *options: str, timeout: float) -> subprocess.CompletedProcess:
    """pytest inside the root on the given test paths, /proc, /sys and /dev mounted."""
    with mounted(chroot.path):
        return chroot.run("sh", "-c", " ".join([PYTEST, *options, *paths]), timeout=timeout)
