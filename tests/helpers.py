"""Test helpers: free ports, a classbox server in a subprocess, peers installed on demand."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, TypeVar

import httpx
import pytest

T = TypeVar("T")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM a process started with start_new_session=True and its group; SIGKILL after timeout."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_until(probe: Callable[[], T], timeout: float = 30.0, step: float = 0.05) -> T:
    """Call probe() every `step` seconds until it returns something true, at most `timeout` seconds;
    its last result (false on timeout: the caller asserts on it and says what it waited for)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(step)


def wait_http(url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until url answers (any status), or fail."""
    errors: list[Exception] = []

    def answers() -> bool:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            httpx.get(url, timeout=1.0)
            return True
        except httpx.HTTPError as err:
            errors.append(err)
            return False

    if not wait_until(answers, timeout, 0.1):
        raise TimeoutError(f"{url} did not answer in {timeout} s ({errors[-1] if errors else None})")


def require_apt(command: str, package: str | None = None) -> str:
    """Path of `command`, installing its Debian package when root; skip (fails in CI) if absent."""
    path = shutil.which(command) or (f"/usr/sbin/{command}" if os.path.exists(f"/usr/sbin/{command}") else None)
    if path:
        return path
    package = package or command
    if IS_ROOT and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        result = subprocess.run(["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", package],
                                capture_output=True, text=True, env=env)
        if result.returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env)
            subprocess.run(["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", package],
                           capture_output=True, text=True, env=env)
        path = shutil.which(command) or (f"/usr/sbin/{command}" if os.path.exists(f"/usr/sbin/{command}") else None)
        if path:
            return path
    pytest.skip(f"needs `{command}` from the Debian package {package} (run as root to install it)")


class LiveServer:
    """`classbox serve` (or `web`) in a subprocess on a free port, stopped by PID."""

    def __init__(self, data_dir: Path, command: str = "serve", extra_env: dict | None = None,
                 args: tuple[str, ...] = ()):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = command
        self.args = args
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
        self.env.update({"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_DATA_DIR": str(self.data_dir)})
        self.env.update(extra_env or {})
        self.proc: subprocess.Popen | None = None
        self.log = self.data_dir.parent / f"server-{self.port}.log"

    def start(self) -> "LiveServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "classbox", self.command, "--host", "127.0.0.1",
                 "--port", str(self.port), *self.args],
                env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            wait_http(self.url + "/healthz", proc=self.proc)
        except Exception:
            self.stop()
            raise RuntimeError(f"server did not start: {self.log.read_text(errors='replace')[-2000:]}")
        return self

    def kill9(self) -> None:
        """SIGKILL the whole process group, as a power cut would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after 10 s."""
        if self.proc:
            stop_process_group(self.proc)

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
