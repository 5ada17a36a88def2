"""The hardened units: systemd accepts them, their exposure stays low, READY means "can serve"."""

from __future__ import annotations

import os
import re
import select
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port, require_apt, stop_process_group

ROOT = Path(__file__).resolve().parents[2]
UNITS = ["classbox-web.service", "classbox-agent.service", "classbox-backup.service",
         "classbox-backup.timer", "classbox-firstboot.service"]
MAX_EXPOSURE = 2.5


def _units_with_stub_commands(tmp_path: Path) -> Path:
    """Copies of the units whose commands point at stand-ins (the real ones live in the image).

    The chroot test verifies the untouched units inside a real root (test_chroot.py).
    """
    stub = tmp_path / "stub"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    folder = tmp_path / "units"
    folder.mkdir()
    for unit in UNITS:
        text = (ROOT / "systemd" / unit).read_text()
        text = text.replace("/opt/classbox/current/bin/classbox", str(stub))
        text = text.replace("/usr/local/sbin/classbox-firstboot", str(stub))
        (folder / unit).write_text(text)
    return folder


@pytest.mark.peer
@pytest.mark.parametrize("unit", UNITS)
def test_unit_verifies_without_warnings(tmp_path, unit):
    analyze = require_apt("systemd-analyze", "systemd")
    folder = _units_with_stub_commands(tmp_path)
    result = subprocess.run([analyze, "verify", str(folder / unit)], capture_output=True, text=True,
                            cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == "", result.stdout + result.stderr


def exposure(unit_path: Path, cwd: Path) -> float:
    """The overall exposure level systemd-analyze security gives a unit file."""
    analyze = require_apt("systemd-analyze", "systemd")
    result = subprocess.run([analyze, "security", "--offline=true", "--no-pager", str(unit_path)],
                            capture_output=True, text=True, cwd=cwd)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1))


@pytest.mark.peer
@pytest.mark.parametrize("unit", ["classbox-web.service", "classbox-agent.service"])
def test_unit_exposure_is_low(tmp_path, unit):
    assert exposure(ROOT / "systemd" / unit, tmp_path) <= MAX_EXPOSURE


@pytest.mark.peer
def test_exposure_check_catches_a_weak_unit(tmp_path):
    """The threshold means something: the web unit without its hardening scores above it."""
    text = (ROOT / "systemd" / "classbox-web.service").read_text()
    weak = "\n".join(line for line in text.splitlines()
                     if line.startswith(("[", "Description", "Type", "ExecStart", "User", "Group")))
    path = tmp_path / "classbox-weak.service"
    path.write_text(weak + "\n")
    assert exposure(path, tmp_path) > MAX_EXPOSURE


@pytest.mark.parametrize("unit", ["classbox-web.service", "classbox-agent.service"])
def test_unit_keeps_what_the_box_needs(unit):
    """mDNS and interface enumeration need the network and netlink; vcgencmd needs /dev/vchiq."""
    text = (ROOT / "systemd" / unit).read_text()
    families = re.search(r"^RestrictAddressFamilies=(.*)$", text, re.M).group(1).split()
    assert {"AF_INET", "AF_INET6", "AF_NETLINK", "AF_UNIX"} <= set(families)
    assert "Type=notify" in text and "User=classbox" in text and "StateDirectory=classbox" in text
    assert "ProtectSystem=strict" in text and "CapabilityBoundingSet=\n" in text
    if unit == "classbox-agent.service":
        assert "PrivateDevices=yes" not in text and "PrivateNetwork=yes" not in text
        assert "DeviceAllow=char-vchiq rw" in text


class NotifyListener:
    """A $NOTIFY_SOCKET that records (sender pid, message) like systemd does."""

    def __init__(self, path: Path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.messages: list[tuple[int, str]] = []
        self.poller = select.poll()
        self.poller.register(self.sock, select.POLLIN)

    def wait_for(self, text: str, proc: subprocess.Popen, timeout: float = 90.0) -> int:
        """Wait for a message containing text; return its sender's pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"process exited with {proc.returncode}"
            if not self.poller.poll(500):  # poll, not select: a long run's descriptors pass 1024
                continue
            data, ancdata, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
            pid = next(struct.unpack("iII", d[:12])[0] for level, kind, d in ancdata
                       if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS)
            self.messages.append((pid, data.decode()))
            if text in data.decode():
                return pid
        raise TimeoutError(f"no {text!r} in {self.messages}")

    def close(self) -> None:
        self.sock.close()


def _start(tmp_path: Path, args: list[str], notify: NotifyListener) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update({"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_DATA_DIR": str(tmp_path / "data"),
                "CLASSBOX_DISCOVERY_ENABLED": "false", "CLASSBOX_SYNC_ENABLED": "false",
                "NOTIFY_SOCKET": notify.path})
    with open(tmp_path / "proc.log", "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "classbox", *args], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    stop_process_group(proc, timeout=15)


def test_web_ready_comes_from_the_worker_once_the_app_is_built(tmp_path):
    """gunicorn's arbiter would say READY before loading the app; only the worker may."""
    notify = NotifyListener(tmp_path / "notify.sock")
    port = free_port()
    proc = _start(tmp_path, ["web", "--host", "127.0.0.1", "--port", str(port)], notify)
    try:
        sender = notify.wait_for("READY=1", proc)
        assert sender != proc.pid, f"READY came from the arbiter: {notify.messages}"
        assert "STATUS=classbox web serving" in notify.messages[-1][1]
        assert not any("arbiter" in text for _, text in notify.messages)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        _stop(proc)
        notify.close()


def test_agent_ready_comes_from_its_main_process(tmp_path):
    notify = NotifyListener(tmp_path / "notify.sock")
    proc = _start(tmp_path, ["agent"], notify)
    try:
        assert notify.wait_for("READY=1", proc) == proc.pid
    finally:
        _stop(proc)
        notify.close()
