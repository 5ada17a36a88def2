"""The cache of debootstrapped roots survives a build killed half-way (a CI job cancelled, a
machine restarted): the next run builds the root once, and leaves neither the dead build's
directory nor its mounts nor its partial tarball behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import IS_ROOT
from tests.provisioning import debian_root
from tests.provisioning.ansible_support import ROOT
from tests.provisioning.chroot_support import Chroot

# A stand-in for debootstrap: makes the root's skeleton at its second-to-last argument.
FAKE_DEBOOTSTRAP = """#!/bin/sh
for last; do :; done
root=$(eval echo \\${$(($# - 1))})
mkdir -p "$root/var/lib/apt/lists" "$root/proc" "$root/etc"
echo fake > "$root/etc/debian_version"
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty root cache in tmp_path, and a fake debootstrap."""
    monkeypatch.setattr(debian_root, "CACHE", tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    fake = tmp_path / "debootstrap"
    fake.write_text(FAKE_DEBOOTSTRAP)
    fake.chmod(0o755)
    return tmp_path / "cache", str(fake)


def dead_pid() -> int:
    """The id of a process that has ended."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


@pytest.mark.skipif(not IS_ROOT, reason="mounts /proc as a killed build leaves it")
def test_a_build_killed_half_way_is_cleaned_and_the_root_built_once(cache, tmp_path):
    folder, debootstrap = cache
    key = debian_root.cache_key("trixie")
    cached = debian_root.tarball("trixie")
    # What a debootstrap killed with its run leaves: its lock file, its build directory with the
    # host's /proc still mounted inside, and the tarball it was writing.
    cached.with_suffix(".lock").touch()
    killed = folder / f"build-{key}-{dead_pid()}"
    (killed / "proc").mkdir(parents=True)
    (killed / "debootstrap").mkdir()
    subprocess.run(["mount", "-t", "proc", "proc", str(killed / "proc")], check=True)
    partial = cached.with_suffix(f".partial-{dead_pid()}")
    partial.write_bytes(b"half a tarball")
    # Another root's build is not this run's business.
    other = folder / "build-0123456789abcdef-1"
    other.mkdir()
    try:
        debian_root.make_root(debootstrap, tmp_path / "root", "trixie")
        assert (tmp_path / "root/etc/debian_version").read_text() == "fake\n"
        assert cached.exists()
        assert Chroot(killed).mounts() == [], "the dead build's /proc is still mounted"
        assert not killed.exists() and not partial.exists()
        assert other.exists()
        assert sorted(path.name for path in folder.glob(f"build-{key}-*")) == []
    finally:
        Chroot(killed).remove()


def test_a_cached_root_is_not_built_again(cache, tmp_path):
    folder, debootstrap = cache
    debian_root.make_root(debootstrap, tmp_path / "first", "trixie")
    built = debian_root.tarball("trixie").stat().st_mtime_ns
    os.unlink(debootstrap)  # a second build would fail
    debian_root.make_root(debootstrap, tmp_path / "second", "trixie")
    assert debian_root.tarball("trixie").stat().st_mtime_ns == built
    assert (tmp_path / "second/etc/debian_version").exists()


def test_two_workers_building_the_wheel_at_once_both_get_it(tmp_path):
    """bookworm's and trixie's chroot tests (and arm64's) build classbox's wheel from the same
    tree at the same moment on two xdist workers; setuptools' build/ folder is shared."""
    code = ("import sys; from pathlib import Path; from tests.provisioning.debian_root import build_wheel; "
            "print(build_wheel(Path(sys.argv[1]), Path(sys.argv[2])).name)")
    builds = [subprocess.Popen([sys.executable, "-c", code, str(ROOT), str(tmp_path / f"dist{i}")], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in range(2)]
    outputs = [build.communicate(timeout=300)[0] for build in builds]
    assert [build.returncode for build in builds] == [0, 0], outputs
    assert all(list((tmp_path / f"dist{i}").glob("classbox-*.whl")) for i in range(2))
