"""Running the suite on several pytest-xdist workers (`make test`: docs/architecture.md, "Tests").

- Each test file runs whole on one worker (its module fixtures are made once); files whose tests
  must not run beside each other share a group: `@pytest.mark.xdist_group("name")` puts them on
  one worker, one after the other.
- `@pytest.mark.alone`: nothing else runs on any worker while such a test runs.
- `lock(name)`: a lock shared by every worker and run on this machine (apt-get, cached builds).
- Files with a `slow` test are handed out first, so that no long file starts last; the longest
  first, by the seconds a `@pytest.mark.slow(seconds)` says the file takes (a bare `slow`: 0).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path
from typing import Iterator

import pytest
from filelock import FileLock

LOCKS = Path(tempfile.gettempdir()) / "classbox-tests-locks"


def worker() -> tuple[int, int]:
    """(this worker's number, how many workers): (0, 1) outside xdist."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return (int(name[2:]) if name.startswith("gw") else 0), max(count, 1)


def lock(name: str) -> FileLock:
    """A lock named `name` shared by every process of this machine (use it as `with lock(...)`)."""
    LOCKS.mkdir(parents=True, exist_ok=True)
    return FileLock(LOCKS / f"{name}.lock")


def _flock(path: Path, mode: int) -> int:
    """Open path and take flock `mode` on it (blocking); the descriptor."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, mode)
    return fd


def run_folder(config: pytest.Config) -> Path | None:
    """The temporary folder the workers of this xdist run share (None outside xdist)."""
    basetemp = getattr(config.option, "basetemp", None)
    return Path(basetemp).parent if hasattr(config, "workerinput") and basetemp else None


@contextlib.contextmanager
def running(config: pytest.Config, alone: bool) -> Iterator[None]:
    """Hold the run's shared lock while a test runs, or its exclusive lock for an `alone` test.
    A turnstile taken first keeps the other workers' next tests from starving an `alone` one."""
    folder = run_folder(config)
    if folder is None:  # not under xdist: one test at a time anyway
        yield
        return
    gate = _flock(folder / "tests.gate", fcntl.LOCK_EX)
    try:
        held = _flock(folder / "tests.lock", fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
    finally:
        if not alone:
            os.close(gate)  # an alone test keeps the gate until it ends
    try:
        yield
    finally:
        os.close(held)
        if alone:
            os.close(gate)


def file_or_group_scheduler(config: pytest.Config, log):
    """`--dist loadgroup`, one unit per test file or xdist_group (xdist's own splits a file's
    tests over the workers, each making the module fixtures again)."""
    from xdist.scheduler import LoadGroupScheduling

    class FileOrGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.rfind("@") > nodeid.rfind("]"):
                return nodeid.split("@")[-1]
            return nodeid.split("::", 1)[0]

    config.option.loadscopereorder = False  # keep the order of slow_files_first
    return FileOrGroupScheduling(config, log)


def _group(item: pytest.Item) -> str | None:
    """The item's xdist_group name (several joined with "_", as xdist does), or None."""
    names = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                    for mark in item.iter_markers("xdist_group")})
    return "_".join(names) or None


def tag_groups(items: list[pytest.Item]) -> None:
    """End each grouped test's node id with "@<group>", which `--dist loadgroup` schedules by:
    xdist 3.8 writes it where pytest 9.2 no longer reads it (pytest-xdist issue #1386), and the
    groups were silently ignored. Does nothing once xdist's own suffix takes effect."""
    for item in items:
        group = _group(item)
        if group is None or item.nodeid.endswith(f"@{group}"):
            continue
        nodeid = f"{item.nodeid}@{group}"
        if hasattr(item, "_id"):  # pytest >= 9.2: a structured node id
            item._id = type(item._id).parse(nodeid)
        else:
            item._nodeid = nodeid


def slow_files_first(items: list[pytest.Item]) -> None:
    """Reorder items in place: the files (and groups) holding a `slow` test first, the longest
    first (the largest `slow(seconds)` of the unit), each file's tests kept together and in
    their order."""
    def unit(item: pytest.Item) -> str:
        group = _group(item)
        return f"group:{group}" if group else item.nodeid.split("::")[0]
    seconds: dict[str, float] = {}
    for item in items:
        for mark in item.iter_markers("slow"):
            seconds[unit(item)] = max(seconds.get(unit(item), 0), float(mark.args[0]) if mark.args else 0)
    first_seen = {}
    for index, item in enumerate(items):
        first_seen.setdefault(unit(item), index)
    items.sort(key=lambda item: (unit(item) not in seconds, -seconds.get(unit(item), 0), first_seen[unit(item)]))
