"""benchmarks/idle_writes.py leaves nothing behind when stopped: its box's processes, its temporary
folders and (as root) its loop device and mount go with a SIGTERM or a Ctrl-C (SIGINT). The loop
device cases are peers: they need root, util-linux's losetup and e2fsprogs' mkfs.ext4 (a minbase
Debian root, where the package's non-peer tests also run, has neither mkfs.ext4 nor loop devices)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.helpers import IS_ROOT, require_apt, wait_until

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "idle_writes.py"


def _mounted(folder: str) -> bool:
    return any(line.split()[1] == folder for line in Path("/proc/mounts").read_text().splitlines())


def _printed(out: Path, marker: str, bench: subprocess.Popen) -> str | None:
    """out's text once it has marker; raise with it if the benchmark ended before printing it."""
    text = out.read_text()
    if marker in text:
        return text
    if bench.poll() is not None:
        raise AssertionError(f"the benchmark ended ({bench.returncode}) before printing {marker!r}:\n{text[-3000:]}")
    return None


def _backs(device: str, folder: str) -> bool:
    """Whether a loop device is still attached to an image in `folder` (the number, once freed, may
    already serve another process of the machine)."""
    try:
        return Path(f"/sys/block/{device}/loop/backing_file").read_text().startswith(folder)
    except OSError:  # detached
        return False


def _need_loop_devices() -> None:
    """Skip (a failure with CI=true) unless a loop device can be made and formatted here."""
    if not IS_ROOT:
        pytest.skip("a loop device needs root")
    require_apt("losetup", "mount")
    require_apt("mkfs.ext4", "e2fsprogs")


LOOP_DEVICE = pytest.param(True, marks=pytest.mark.peer, id="loop-device")


@pytest.mark.parametrize("loop", [pytest.param(False, id="no-loop"), LOOP_DEVICE])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_benchmark_stopped_by_a_signal_leaves_no_process_folder_or_device(tmp_path, signum, loop):
    if loop:
        _need_loop_devices()
    out = tmp_path / "out.txt"
    args = [] if loop else ["--no-loop"]
    with open(out, "wb") as sink:
        bench = subprocess.Popen([sys.executable, str(SCRIPT), "--idle-min", "30", "--class-min", "0",
                                  "--warmup-s", "600", *args], stdout=sink, stderr=subprocess.STDOUT,
                                 env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        text = wait_until(lambda: _printed(out, "data dir device", bench), timeout=120,
                          what="the benchmark's box to answer /healthz")
        tmp, runtime = re.search(r"folders: (\S+) (\S+)", text).groups()
        device = re.search(r"data dir device: (\S+)", text)[1]
        children = psutil.Process(bench.pid).children(recursive=True)
        assert children, "the box runs"
        bench.send_signal(signum)
        assert bench.wait(60) is not None
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
    assert [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE] == []
    assert not Path(tmp).exists() and not Path(runtime).exists()
    assert not _mounted(f"{tmp}/mnt")
    if device != "None":
        assert not _backs(device, tmp), f"{device} still holds the benchmark's image"


@pytest.mark.peer
def test_the_data_dir_is_mounted_with_the_options_asked_as_the_boxs_fstab_would(tmp_path):
    _need_loop_devices()
    out = tmp_path / "out.txt"
    with open(out, "wb") as sink:
        bench = subprocess.Popen([sys.executable, str(SCRIPT), "--idle-min", "30", "--class-min", "0",
                                  "--warmup-s", "600", "--mount-options", "noatime,lazytime"],
                                 stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        text = wait_until(lambda: _printed(out, "data dir device", bench), timeout=120,
                          what="the benchmark's box to answer /healthz")
        tmp = re.search(r"folders: (\S+) ", text)[1]
        options = next(line.split()[3] for line in Path("/proc/mounts").read_text().splitlines()
                       if line.split()[1] == f"{tmp}/mnt").split(",")
        assert "noatime" in options and "lazytime" in options
    finally:
        bench.send_signal(signal.SIGTERM)
        try:
            bench.wait(60)
        except subprocess.TimeoutExpired:
            bench.kill()
            bench.wait()
