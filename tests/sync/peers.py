"""Real peers for the sync tests: the ralph LRS and a wsgidav WebDAV server, in subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import (
    free_port,
    wait_http,
    wait_until,  # noqa: F401  (the one polling helper, also imported from here)
)
from tests.parallel import lock

CACHE = Path(os.environ.get("CLASSBOX_TEST_CACHE", Path.home() / ".cache" / "classbox-tests"))
RALPH_VENV = CACHE / "ralph-venv"
# ralph 5.1 imports `requests` without declaring it; the fs backend ships with the base package.
RALPH_SPEC = ["ralph-malph[cli,lrs,backend-fs]", "requests"]
DAV_SERVER = Path(__file__).with_name("dav_server.py")


def ensure_ralph() -> Path:
    """The ralph executable, installed into its own venv under the cache dir on first use."""
    ralph = RALPH_VENV / "bin" / "ralph"
    if ralph.exists() and (RALPH_VENV / ".complete").exists():
        return ralph
    with lock("ralph-venv"):  # another worker installing it: wait, install once
        if ralph.exists() and (RALPH_VENV / ".complete").exists():
            return ralph
        CACHE.mkdir(parents=True, exist_ok=True)
        if not (RALPH_VENV / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(RALPH_VENV)], check=True)
        result = subprocess.run([str(RALPH_VENV / "bin" / "pip"), "install", "-q", *RALPH_SPEC],
                                capture_output=True, text=True)
        if result.returncode != 0 or not ralph.exists():
            pytest.skip(f"cannot install ralph: {result.stderr[-500:]}")
        (RALPH_VENV / ".complete").write_text("ok\n")
    return ralph


class Ralph:
    """ralph's LRS (fs backend) on a loopback port with its own data dir and credentials."""

    username = "classbox"
    password = "lrs-secret-pw"

    def __init__(self, workdir: Path, port: int | None = None, host: str = "127.0.0.1",
                 netns: str | None = None, gzip_requests: bool = False):
        self.ralph = ensure_ralph()
        self.workdir = Path(workdir)
        self.data = self.workdir / "lrs-data"
        self.host = host
        self.port = port or free_port()
        self.netns = netns
        self.gzip_requests = gzip_requests
        self.proc: subprocess.Popen | None = None
        self.data.mkdir(parents=True, exist_ok=True)
        (self.workdir / "cwd").mkdir(exist_ok=True)
        self._write_auth()

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}/xAPI"

    def _write_auth(self) -> None:
        auth = self.workdir / "auth.json"
        if auth.exists():
            return
        python = RALPH_VENV / "bin" / "python"
        hashed = subprocess.run([str(python), "-c", "import bcrypt,sys;print(bcrypt.hashpw(sys.argv[1].encode(),"
                                 "bcrypt.gensalt(4)).decode())", self.password],
                                capture_output=True, text=True, check=True).stdout.strip()
        auth.write_text(json.dumps([{"agent": {"mbox": "mailto:classbox-box@example.org"},
                                     "scopes": ["all"], "hash": hashed, "username": self.username}]))

    def start(self) -> "Ralph":
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RALPH_", "CLASSBOX_"))}
        env.update(HOME=str(self.workdir), RALPH_AUTH_FILE=str(self.workdir / "auth.json"),
                   RALPH_APP_DIR=str(self.workdir / "app"),
                   RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=str(self.data),
                   RALPH_RUNSERVER_BACKEND="fs")
        # ralph's own app and settings, started like `ralph runserver -b fs` (see ralph_launch.py)
        command = [str(RALPH_VENV / "bin" / "python"), str(Path(__file__).with_name("ralph_launch.py")),
                   self.host, str(self.port), *(["--gzip"] if self.gzip_requests else [])]
        if self.netns:
            command = ["ip", "netns", "exec", self.netns, *command]
        with open(self.workdir / "ralph.log", "ab") as log:
            self.proc = subprocess.Popen(command, cwd=self.workdir / "cwd", env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_http(f"http://{self.host}:{self.port}/__heartbeat__", timeout=60, proc=self.proc)
        except Exception:
            self.stop()
            raise RuntimeError((self.workdir / "ralph.log").read_text(errors="replace")[-2000:])
        return self

    def _signal(self, signum: int) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signum)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def stop(self) -> None:
        """SIGTERM the server's process group."""
        self._signal(signal.SIGTERM)

    def kill9(self) -> None:
        """SIGKILL the server, as a crash would."""
        self._signal(signal.SIGKILL)

    def stored(self) -> list[dict]:
        """Every statement in the LRS's own store, in storage order (duplicates included)."""
        path = self.data / "fs_lrs.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def __enter__(self) -> "Ralph":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class DavServer:
    """wsgidav (with a fault-injecting middleware) in a subprocess on a loopback port."""

    username = "box"
    password = "dav-secret-pw"

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.root = self.workdir / "dav-root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.faults = self.workdir / "faults.json"
        self.faults.write_text("[]")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/dav"
        self.proc: subprocess.Popen | None = None

    def inject(self, *faults: dict) -> None:
        """Faults for the next matching requests: {"method": "PUT", "status": 507} or {"hang": 5}."""
        tmp = self.faults.with_suffix(".tmp")
        tmp.write_text(json.dumps(list(faults)))
        os.replace(tmp, self.faults)

    def pending_faults(self) -> list:
        return json.loads(self.faults.read_text())

    def hangs_served(self) -> int:
        """How many requests held by a {"hang": S} fault the server has finished serving."""
        served = self.faults.with_name(self.faults.name + ".served")
        return int(served.read_text()) if served.exists() else 0

    def start(self) -> "DavServer":
        with open(self.workdir / "dav.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(DAV_SERVER), str(self.root), str(self.port), self.username,
                 self.password, str(self.faults)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(f"http://127.0.0.1:{self.port}/", proc=self.proc)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def files(self) -> dict[str, bytes]:
        """Every file on the server, by path relative to its root."""
        return {str(p.relative_to(self.root)): p.read_bytes() for p in self.root.rglob("*") if p.is_file()}

    def __enter__(self) -> "DavServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


