"""Test helpers: free ports, a classbox server in a subprocess, peers installed on demand."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import httpx
import pytest

from classbox.config import Config, load_config
from tests.parallel import lock, worker

T = TypeVar("T")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


NS = "/classroom"
QUIZ_SPEC = {"type": "quiz", "kind": "single", "question": "2 + 2 ?", "choices": ["3", "4", "5"], "correct": 1}


def make_config(data_dir: Path, **overrides: Any) -> Config:
    """The one way tests build a config: on `data_dir`, isolated from the machine's env and /etc;
    one web worker (the default follows the machine's cores) unless a test asks for more."""
    return load_config(path=os.devnull, env={}, overrides={"data_dir": Path(data_dir), "web.workers": 1, **overrides})


def with_accounts(config: Config, *accounts: tuple[str, str, str, str]) -> Config:
    """Prepare the config's data dir with these accounts (login, role, password, display name)."""
    from classbox.auth.users import add_user
    from classbox.web.datadir import prepare_data_dir

    db = prepare_data_dir(config)
    try:
        for login, role, password, name in accounts:
            add_user(db, login, role, password, name)
    finally:
        db.conn.close()
    return config


@contextlib.contextmanager
def tmpfs(mount: Path, size_mb: int) -> Iterator[Path]:
    """A real filesystem of `size_mb` (tmpfs) mounted at `mount`, unmounted afterwards (root only: else skip)."""
    if not IS_ROOT:
        pytest.skip("mounting a tmpfs needs root")
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)


def fill_disk(folder: Path) -> Path:
    """Fill the disk holding `folder` to the last byte; the filler file (delete it to make room)."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as handle:
        for size in (1 << 20, 65536, 4096, 512, 1):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError:
                pass
    return filler


def ack(sio, event: str, data: Any = None) -> Any:
    """Emit a /classroom event and return the server's ack."""
    return sio.emit(event, data, namespace=NS, callback=True)


def received(sio, name: str | None = None) -> list:
    """/classroom events received since the last call (optionally only those called `name`)."""
    events = sio.get_received(NS)
    return [e["args"][0] if e["args"] else None for e in events if name is None or e["name"] == name]


def new_id() -> str:
    """A submission id as a device makes it."""
    return str(uuid.uuid4())


def free_port() -> int:
    """A TCP port nobody listens on right now; under xdist, one that no other worker can be handed
    (each worker takes its share of the ports: the kernel's bind(0) prefers odd ones, hence // 2)."""
    number, count = worker()
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if (port // 2) % count == number:
            return port


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


def wait_until(probe: Callable[[], T], timeout: float = 30.0, step: float = 0.05, what: str | None = None) -> T:
    """Call probe() every `step` seconds until it returns something true, at most `timeout` seconds;
    its last result (false on timeout, or AssertionError naming `what` when given)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found or time.monotonic() >= deadline:
            if not found and what is not None:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            return found
        time.sleep(step)


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
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


def _installed(command: str) -> str | None:
    """Path of command on PATH or in /usr/sbin, or None."""
    return shutil.which(command) or (f"/usr/sbin/{command}" if os.path.exists(f"/usr/sbin/{command}") else None)


def require_apt(command: str, package: str | None = None) -> str:
    """Path of `command`, installing its Debian package when root; skip (fails in CI) if absent."""
    path = _installed(command)
    if path:
        return path
    package = package or command
    if IS_ROOT and shutil.which("apt-get"):
        with lock("apt-get"):  # one install at a time among the workers (apt-get update takes no timeout)
            path = _installed(command)
            if path:  # another worker installed it meanwhile
                return path
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            install = ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", package]
            if subprocess.run(install, capture_output=True, text=True, env=env).returncode != 0:
                subprocess.run(["apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=600"], capture_output=True, env=env)
                subprocess.run(install, capture_output=True, text=True, env=env)
        path = _installed(command)
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
        self.env.update({"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_DATA_DIR": str(self.data_dir),
                         "CLASSBOX_WEB_WORKERS": "1"})  # the default follows the machine's cores
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
