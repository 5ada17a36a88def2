"""The suite on several xdist workers (tests/parallel.py): what a worker may share with another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.e2e.harness import PagesReport
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_two_workers_are_never_handed_the_same_port(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    drawn = {}
    for name in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", name)
        drawn[name] = {free_port() for _ in range(1000)}
    assert drawn["gw0"] and drawn["gw1"] and not drawn["gw0"] & drawn["gw1"]


def test_the_pages_report_of_a_run_holds_every_workers_pages(tmp_path):
    first, second = PagesReport(tmp_path / "docs"), PagesReport(tmp_path / "docs")
    first.axe["accueil (phone)"], first.screenshots[:] = [], ["accueil-phone.png"]
    second.weights["page élève"] = {"path": "/join/X", "files": [], "bytes": 10, "gzip": 5}
    second.axe["quiz (phone)"] = [{"id": "region", "impact": "moderate"}]
    first.merge_parts(tmp_path / "parts", "gw0")
    first.write()
    second.merge_parts(tmp_path / "parts", "gw1")  # the last worker to finish writes the whole
    second.write()
    written = json.loads((tmp_path / "docs/pages-report.json").read_text())
    assert set(written["axe"]) == {"accueil (phone)", "quiz (phone)"}
    assert set(written["weights"]) == {"page élève"} and written["screenshots"] == ["accueil-phone.png"]


PROBE_CONFTEST = """
from tests.conftest import (pytest_collection_modifyitems, pytest_runtest_makereport,  # noqa: F401
                            pytest_runtest_protocol, pytest_xdist_make_scheduler)


def pytest_configure(config):
    for marker in ("peer", "slow", "alone"):
        config.addinivalue_line("markers", marker)
"""
PROBE_RECORD = """
import os, pathlib, time, pytest
from tests.helpers import wait_until
LOG = pathlib.Path(os.environ["PROBE_LOG"])


def record(what):
    with open(LOG / "workers", "a") as log:
        log.write(f"{what} {os.environ['PYTEST_XDIST_WORKER']}\\n")


def meet(me, other):
    started = time.monotonic()
    (LOG / f"{me}-started").touch()
    wait_until(lambda: (LOG / f"{other}-started").exists(), timeout=3)
    (LOG / f"{me}-ran").write_text(f"{started} {time.monotonic()}")
"""
PROBES = {
    "test_file_a.py": "def test_1(): record('file_a')\ndef test_2(): record('file_a')\ndef test_3(): record('file_a')\n",
    "test_file_b.py": "def test_1(): record('file_b')\ndef test_2(): record('file_b')\ndef test_3(): record('file_b')\n",
    "test_group_1.py": "@pytest.mark.xdist_group('together')\ndef test_1(): record('group')\n",
    "test_group_2.py": "@pytest.mark.xdist_group('together')\ndef test_1(): record('group')\n",
    "test_peer.py": "@pytest.mark.peer\ndef test_needs_a_peer(): pytest.skip('no peer on this machine')\n",
    # Handed out first (slow), so to two workers; each waits up to 3 s for the other to start:
    # side by side unless the alone test keeps the busy one out.
    "test_busy.py": "@pytest.mark.slow\ndef test_busy(): meet('busy', 'alone')\n",
    "test_alone.py": "@pytest.mark.slow\n@pytest.mark.alone\ndef test_alone(): meet('alone', 'busy')\n",
}


@pytest.fixture(scope="module")
def probe_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """The probe files run by `pytest -n 2 --dist loadgroup` with CI=true: (the run, their log folder)."""
    folder = tmp_path_factory.mktemp("probes")
    log = tmp_path_factory.mktemp("probe-log")
    (folder / "conftest.py").write_text(PROBE_CONFTEST)
    for name, body in PROBES.items():
        (folder / name).write_text(PROBE_RECORD + textwrap.dedent(body))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(CI="true", PYTHONPATH=str(ROOT), PROBE_LOG=str(log))
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider",
                           "-rA", "--rootdir", str(folder), str(folder)],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    return done, log


def test_a_skipped_peer_test_fails_under_xdist_with_ci(probe_run):
    done, _ = probe_run
    assert "FAILED test_peer.py::test_needs_a_peer" in done.stdout, done.stdout[-3000:]
    assert "1 failed" in done.stdout and done.returncode == 1, done.stdout[-3000:]


def test_a_file_and_a_group_each_run_whole_on_one_worker(probe_run):
    _, log = probe_run
    lines = (log / "workers").read_text().splitlines()
    workers = {}
    for line in lines:
        unit, worker = line.split()
        workers.setdefault(unit, set()).add(worker)
    assert set(workers) == {"file_a", "file_b", "group"}, lines
    assert all(len(seen) == 1 for seen in workers.values()), workers


def test_no_other_test_runs_beside_an_alone_test(probe_run):
    done, log = probe_run
    assert "PASSED test_alone.py::test_alone" in done.stdout and "PASSED test_busy.py::test_busy" in done.stdout
    alone, busy = ([float(t) for t in (log / f"{name}-ran").read_text().split()] for name in ("alone", "busy"))
    assert alone[1] <= busy[0] or busy[1] <= alone[0], f"alone ran {alone}, busy ran {busy}"


class FakeItem:
    """What slow_files_first reads of a collected test: its node id and its marks."""

    def __init__(self, nodeid: str, *marks: pytest.MarkDecorator):
        self.nodeid, self.marks = nodeid, [mark.mark for mark in marks]

    def get_closest_marker(self, name: str):
        return next((mark for mark in self.marks if mark.name == name), None)

    def iter_markers(self, name: str):
        return (mark for mark in self.marks if mark.name == name)


def test_the_longest_slow_files_are_handed_out_first():
    """`slow(seconds)` says how long a file takes: a 10-minute file handed out last would end
    10 minutes after the rest of the suite."""
    from tests.parallel import slow_files_first

    items = [FakeItem("a.py::one", pytest.mark.slow), FakeItem("a.py::two"), FakeItem("b.py::one"),
             FakeItem("c.py::one", pytest.mark.slow(600)), FakeItem("d.py::one", pytest.mark.slow(120)),
             FakeItem("e.py::one", pytest.mark.slow(120), pytest.mark.xdist_group("g")),
             FakeItem("f.py::one", pytest.mark.xdist_group("g"))]
    slow_files_first(items)
    assert [item.nodeid for item in items] == ["c.py::one", "d.py::one", "e.py::one", "f.py::one", "a.py::one",
                                               "a.py::two", "b.py::one"]
