"""Shared pieces of the library benchmarks: peers started by PID on free ports, wrk parsing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port, wait_http  # noqa: E402


def start(cmd: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    """Start a process in its own group, output to a log file."""
    handle = open(log, "ab")
    return subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL after 10 s."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def classbox_web(data_dir: Path, log: Path, behind_nginx: bool) -> tuple[subprocess.Popen, str]:
    """`classbox web` (gunicorn, gevent worker, 1 worker) on a free port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update({"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_DATA_DIR": str(data_dir),
                "CLASSBOX_WEB_BEHIND_NGINX": "true" if behind_nginx else "false",
                "CLASSBOX_LIBRARY_MIN_FREE_MB": "1"})
    proc = start([sys.executable, "-m", "classbox", "web", "--host", "127.0.0.1", "--port", str(port)], log, env)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/healthz", timeout=60, proc=proc)
    return proc, url


def nginx(workdir: Path, server_block: str, http_extra: str = "") -> tuple[subprocess.Popen, str]:
    """Debian's nginx in the foreground with one server block on a free port."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "nginx.conf"
    conf.write_text(f"""
user root;
worker_processes 2;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    {http_extra}
    server {{
        listen 127.0.0.1:{port};
        {server_block}
    }}
}}
""")
    proc = start(["nginx", "-c", str(conf), "-p", str(workdir)], workdir / "nginx.out")
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/", timeout=20, proc=proc)
    return proc, url


UNITS = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}


def wrk(url: str, threads: int, conns: int, seconds: int, script: Path | None = None, timeout: int = 60) -> dict:
    """Run wrk; return requests/s, bytes/s, latency p50/p99 (ms) and errors."""
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", f"--timeout={timeout}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + timeout + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"Transfer/sec:\s+([\d.]+)([KMG]?B)", out).groups()
    lat = {m.group(1): _ms(m.group(2), m.group(3)) for m in re.finditer(r"\s(50|99)%\s+([\d.]+)(us|ms|s)\b", out)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "bytes_per_s": float(value) * UNITS[unit], "p50_ms": lat.get("50"), "p99_ms": lat.get("99"),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else "none", "raw": out}


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def check(url: str, headers: dict | None = None) -> httpx.Response:
    """One request, for sanity checks before measuring."""
    return httpx.get(url, headers=headers or {}, timeout=30)


def rss_mb(pid: int) -> float:
    """Resident memory of a process group's processes (MB)."""
    total = 0
    for proc_dir in Path("/proc").iterdir():
        if not proc_dir.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc_dir.name)) != pid:
                continue
            for line in (proc_dir / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ProcessLookupError):
            continue
    return total / 1024


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
