"""What test_chroot.py runs: both Debian suites with CI=true, bookworm alone in a developer's
run, CLASSBOX_TEST_SUITES to pick; the whole package's tests inside the trixie root only with
CLASSBOX_TEST_IN_ROOT=full (its quick check always)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys

import pytest

from tests.provisioning.ansible_support import ROOT


def collected(**env: str) -> list[str]:
    """The test ids pytest collects from test_chroot.py with env (CI and the CLASSBOX_TEST_* unset first)."""
    return _collected(tuple(sorted(env.items())))


@functools.lru_cache
def _collected(env: tuple[tuple[str, str], ...]) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("CLASSBOX_TEST_")}
    listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                             "tests/provisioning/test_chroot.py"], cwd=ROOT, env={**base, **dict(env)},
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stdout[-2000:] + listed.stderr[-2000:]
    return [line.split("::", 1)[1] for line in listed.stdout.splitlines() if "::" in line]


def suites(ids: list[str]) -> set[str]:
    """The suites the collected test ids are parametrised by."""
    return {name.rsplit("[", 1)[1].split("-")[0].rstrip("]") for name in ids if "[" in name}


@pytest.mark.parametrize("env, expected", [
    ({"CI": "true"}, {"bookworm", "trixie"}),
    ({}, {"bookworm"}),
    ({"CI": "true", "CLASSBOX_TEST_SUITES": "trixie"}, {"trixie"}),
])
def test_ci_bakes_both_suites(env, expected):
    assert suites(collected(**env)) == expected


def test_the_whole_in_root_run_is_opt_in_and_the_quick_check_always_runs():
    ci = collected(CI="true")
    assert "test_the_package_runs_on_the_suites_python[trixie]" in ci
    assert not [name for name in ci if name.startswith("test_package_tests_pass_on_the_suites_python")]
    full = collected(CI="true", CLASSBOX_TEST_IN_ROOT="full")
    assert "test_package_tests_pass_on_the_suites_python[trixie]" in full
