"""provisioning/bake-image refuses unclear requests before touching anything.

The full bake (site.yml through a chroot) is exercised on a debootstrapped root in
test_chroot.py; the loop-device path for a disk image is not run in the tests.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

BAKE_IMAGE = Path(__file__).resolve().parents[2] / "provisioning" / "bake-image"


def bake(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(BAKE_IMAGE), *args], capture_output=True, text=True)


@pytest.mark.parametrize("args, message", [
    ((), "give --image FILE or --root DIR"),
    (("--image", "a.img", "--root", "/tmp/x", "-i", "inv", "--limit", "s"), "not both"),
    (("--root", "/tmp/x", "--limit", "s"), "missing -i INVENTORY"),
    (("--root", "/tmp/x", "-i", "inv"), "missing --limit SCHOOL"),
    (("--bogus",), "unknown option --bogus"),
])
def test_bad_arguments_are_refused(args, message):
    result = bake(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_missing_image_is_refused(tmp_path):
    result = bake("--image", str(tmp_path / "absent.img"), "-i", "inv", "--limit", "s")
    assert result.returncode == 2 and "no such image" in result.stderr


def test_a_root_without_python_is_refused(tmp_path):
    (tmp_path / "usr/bin").mkdir(parents=True)
    result = bake("--root", str(tmp_path), "-i", "inv", "--limit", "s")
    assert result.returncode == 2, result.stderr
    assert "has no /usr/bin/python3" in result.stderr or "must run as root" in result.stderr


def test_help_describes_the_usage():
    result = bake("--help")
    assert result.returncode == 0 and "qemu-user-static" in result.stdout


@pytest.mark.parametrize("args, message", [
    (("--debootstrap", "sid", "--root", "/tmp/x", "-i", "inv", "--limit", "s"),
     "supported suites are trixie and bookworm, not sid"),
    (("--debootstrap", "trixie", "--image", "a.img", "-i", "inv", "--limit", "s"), "give --root DIR"),
])
def test_debootstrap_requests_are_checked(args, message):
    result = bake(*args)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_debootstrap_refuses_a_root_that_is_not_empty(tmp_path):
    (tmp_path / "etc").mkdir()
    result = bake("--debootstrap", "trixie", "--root", str(tmp_path), "-i", "inv", "--limit", "s")
    assert result.returncode == 2
    assert "is not empty" in result.stderr or "must run as root" in result.stderr


def test_help_tells_how_to_make_an_arm64_root():
    result = bake("--help")
    assert "--debootstrap SUITE" in result.stdout and "--arch ARCH" in result.stdout
    assert "debootstrap --foreign" in result.stdout
