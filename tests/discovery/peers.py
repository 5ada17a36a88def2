"""Processes of the multicast tests: the agent in the box namespace, a browser and dig in the peer."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from tests.discovery.netns import Link
from tests.helpers import require_apt

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


class JsonLines:
    """Reads a process's stdout JSON lines in a thread; wait_for() a matching one."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.seen: list[dict] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self._queue.put(json.loads(line))
            except ValueError:
                continue

    def wait_for(self, match: Callable[[dict], bool], timeout: float, what: str) -> dict:
        """The first line (already seen or coming) that matches, or AssertionError after timeout."""
        return self.wait_after(0, match, timeout, what)

    def close(self) -> None:
        """Stop the process and close its pipe."""
        stop_group(self.proc)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def mark(self) -> int:
        """Drain what arrived so far; later waits can ignore older lines with since=mark."""
        while True:
            try:
                self.seen.append(self._queue.get_nowait())
            except queue.Empty:
                return len(self.seen)

    def wait_after(self, mark: int, match: Callable[[dict], bool], timeout: float, what: str) -> dict:
        """Like wait_for, counting only lines that arrived after mark."""
        for item in self.seen[mark:]:
            if match(item):
                return item
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                item = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(item)
            if match(item):
                return item
        raise AssertionError(f"not seen within {timeout} s: {what}; seen: {self.seen[mark:][-20:]}")


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
    """Signal a process group we started; SIGKILL it if it does not end in time."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def agent_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """Environment for `python -m classbox agent` on a temporary data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update(CLASSBOX_CONFIG=os.devnull, CLASSBOX_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    env.update({f"CLASSBOX_{k.upper()}": v for k, v in settings.items()})
    return env


def start_agent(link: Link, ns: str, data_dir: Path, log: Path, **settings: str) -> subprocess.Popen:
    """The real agent process inside a namespace."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as handle:
        return link.popen_in(ns, sys.executable, "-m", "classbox", "agent", env=agent_env(data_dir, **settings),
                             stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)


def start_browser(link: Link, service_type: str = "_classbox._tcp.local.") -> JsonLines:
    """python-zeroconf's ServiceBrowser (and a raw goodbye listener) in the peer namespace."""
    proc = link.popen_in(link.peer_ns, sys.executable, str(HERE / "peer_browser.py"), link.peer_ip, service_type,
                         stdout=subprocess.PIPE, text=True, cwd=ROOT)
    lines = JsonLines(proc)
    try:
        lines.wait_for(lambda e: e["event"] == "ready", 20, "browser ready")
    except AssertionError:
        lines.close()
        raise
    return lines


def dig(link: Link, server: str, name: str, rtype: str) -> str:
    """`dig -p 5353 @server name rtype` from the peer namespace: answer and additional sections."""
    command = require_apt("dig", "bind9-dnsutils")
    result = link.run_in(link.peer_ns, command, "-p", "5353", f"@{server}", name, rtype, "+time=2", "+tries=2",
                         "+noall", "+answer", "+additional", capture_output=True, text=True, timeout=30)
    return result.stdout


def dig_records(output: str) -> list[tuple[str, str, str, str]]:
    """(name, ttl, type, data) of each record line of dig's output."""
    records = []
    for line in output.splitlines():
        parts = line.split(None, 4)
        if len(parts) == 5 and not line.startswith(";") and parts[2] == "IN":
            records.append((parts[0], parts[1], parts[3], parts[4]))
    return records
