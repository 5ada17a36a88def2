"""Shared pieces of the library benchmarks: peers started by PID on free ports, wrk parsing."""

from __future__ import annotations

import os
import re
import signal
import shutil
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


def stop_all(procs: list[subprocess.Popen], *folders: Path) -> None:
    """Stop what a benchmark started (by PID) and remove its work folders."""
    for proc in procs:
        stop(proc)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def classbox_web(data_dir: Path, log: Path, behind_nginx: bool, workers: int = 1, message_queue: str = "",
                 extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """`classbox web` (gunicorn, gevent worker, 1 worker unless told) on a free port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update({"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_DATA_DIR": str(data_dir),
                "CLASSBOX_WEB_BEHIND_NGINX": "true" if behind_nginx else "false",
                "CLASSBOX_LIBRARY_MIN_FREE_MB": "1", "CLASSBOX_WEB_WORKERS": str(workers),
                "CLASSBOX_WEB_MESSAGE_QUEUE": message_queue, **(extra_env or {})})
    proc = start([sys.executable, "-m", "classbox", "web", "--host", "127.0.0.1", "--port", str(port)], log, env)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/healthz", timeout=60, proc=proc)
    return proc, url


def nginx(workdir: Path, server_block: str, http_extra: str = "", port: int = 0) -> tuple[subprocess.Popen, str]:
    """Debian's nginx in the foreground with one server block on a free port (or `port`)."""
    port = port or free_port()
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


# Server blocks shared by the library benchmarks; they follow docs/library-nginx.md.
PING = 'location = / { return 200 "ok"; }'


def proxy_location(prefix: str, upstream: str, extra: str = "") -> str:
    """A location proxying `prefix` to classbox (HTTP/1.1 to the upstream)."""
    return (f"location {prefix} {{ proxy_pass {upstream}; proxy_http_version 1.1; "
            f'proxy_set_header Connection ""; {extra} }}')


def blob_locations(data_dir: Path) -> str:
    """/_blobs/ for X-Accel-Redirect (internal) and /direct/ (the baseline: nginx alone)."""
    return (f"location /direct/ {{ alias {data_dir}/blobs/; }}\n"
            f"location /_blobs/ {{ internal; alias {data_dir}/blobs/; }}")


def zim_cache_zone(cache_dir: Path, upstream: str) -> str:
    """http-level parts of the /zim/ cache (as in docs/library-nginx.md): the cache path (on tmpfs
    there), and an upstream with idle keepalive connections, so misses do not open a connection each."""
    host_port = upstream.removeprefix("http://")
    return (f"proxy_cache_path {cache_dir} levels=1:2 keys_zone=zim:16m max_size=128m "
            "inactive=7d use_temp_path=off;\n"
            f"upstream classbox_zim {{ server {host_port}; keepalive 16; }}")


def zim_cache_location() -> str:
    """/zim/ proxied to classbox through nginx's cache (as in docs/library-nginx.md)."""
    return proxy_location("/zim/", "http://classbox_zim", "proxy_cache zim; proxy_cache_valid 200 301 302 1d; "
                          "proxy_cache_lock on; proxy_cache_use_stale updating error timeout; "
                          "add_header X-Cache $upstream_cache_status always;")


def curl_pass(base: str, paths: list[str], parallel: int) -> dict:
    """Fetch every path once with `parallel` connections (curl --parallel); requests/s and failures."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".curl", delete=False) as handle:
        for path in paths:
            handle.write(f'url = "{base}{path}"\noutput = "/dev/null"\n')
        listing = handle.name
    try:
        t0 = time.perf_counter()
        out = subprocess.run(["curl", "--silent", "--parallel", "--parallel-max", str(parallel),
                              "--write-out", "%{http_code}\n", "--config", listing],
                             capture_output=True, text=True, timeout=600).stdout
        seconds = time.perf_counter() - t0
    finally:
        os.unlink(listing)
    codes = out.split()
    return {"rps": len(paths) / seconds, "seconds": seconds, "failed": sum(c != "200" for c in codes)
            + len(paths) - len(codes)}


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


def _group_kb(pid: int, file: str, field: str) -> int:
    """Sum of one /proc/<p>/<file> field (kB) over the processes of process group `pid`."""
    total = 0
    for proc_dir in Path("/proc").iterdir():
        if not proc_dir.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc_dir.name)) != pid:
                continue
            for line in (proc_dir / file).read_text().splitlines():
                if line.startswith(field):
                    total += int(line.split()[1])
        except (OSError, ProcessLookupError):
            continue
    return total


def rss_mb(pid: int) -> float:
    """Resident memory of a process group's processes (MB)."""
    return _group_kb(pid, "status", "VmRSS:") / 1024


def pss_mb(pid: int) -> float:
    """Proportional memory of a process group's processes (MB): shared pages split between them."""
    return _group_kb(pid, "smaps_rollup", "Pss:") / 1024


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
