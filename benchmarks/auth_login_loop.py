"""Logins benchmark: /healthz latency while 8 devices send failed logins, argon2 on vs off the loop.

    .venv/bin/python benchmarks/auth_login_loop.py [--seconds 8] [--logins 8]

The real app under gevent's WSGI server (what gunicorn's gevent worker runs), one process per
mode, same machine, same run:
- "on the loop (before)": argon2 runs in the request's greenlet, as before issue 15;
- "off the loop (now)": as shipped (gevent's threadpool, ARGON2_SLOTS at once).
For each: /healthz idle (the baseline), then /healthz while N threads post wrong passwords for a
known login in a loop (the login guard is relaxed so that every guess reaches argon2).
Prints p50/p99/max of /healthz, logins checked per second, and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port, stop_process_group, wait_http  # noqa: E402

SERVER = """
from gevent import monkey
monkey.patch_all()
import os, sys
from gevent.pywsgi import WSGIServer
from classbox import create_app
from classbox.auth import users
from classbox.auth.throttle import LoginGuard
from classbox.config import load_config
from classbox.storage import open_database

mode, port, data_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
app = create_app(load_config(path=os.devnull, env={}, overrides={"data_dir": data_dir}))
app.config.update(WTF_CSRF_ENABLED=False)
app.extensions["classbox_login_guard"] = LoginGuard(free=10**9, address_free=10**9, brake_threshold=10**9)
users.add_user(open_database(app.config["CLASSBOX"].data_dir), "mme.martin", "teacher", "Une-Phrase-Bien-Longue-42")
if mode == "on-loop":
    users._argon2 = lambda fn, *args: fn(*args)  # the code before issue 15
WSGIServer(("127.0.0.1", port), app, log=None).serve_forever()
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def healthz_latencies(base: str, seconds: float) -> list[float]:
    """Sequential GET /healthz for `seconds`: latencies in ms."""
    out = []
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=30) as http:
        while time.monotonic() < deadline:
            start = time.perf_counter()
            http.get(base + "/healthz").raise_for_status()
            out.append((time.perf_counter() - start) * 1000)
            time.sleep(0.02)
    return out


def run_mode(mode: str, seconds: float, logins: int) -> dict:
    """One server in `mode`: /healthz idle, then under `logins` parallel failed logins."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="classbox-bench-auth-") as tmp:
        proc = subprocess.Popen([sys.executable, "-c", SERVER, mode, str(port), str(Path(tmp) / "data")],
                                cwd=ROOT, start_new_session=True)
        try:
            wait_http(base + "/healthz", timeout=60, proc=proc)
            idle = healthz_latencies(base, min(3.0, seconds))
            stop, checked = threading.Event(), []

            def guess() -> None:
                with httpx.Client(timeout=60) as http:
                    while not stop.is_set():
                        status = http.post(base + "/login", data={"login": "mme.martin", "password": "devinette-1"}).status_code
                        checked.append(status)

            threads = [threading.Thread(target=guess) for _ in range(logins)]
            for thread in threads:
                thread.start()
            time.sleep(0.5)  # the guesses are in flight before we measure
            started, since = len(checked), time.monotonic()
            loaded = healthz_latencies(base, seconds)  # the last probe may end well after `seconds`
            rate = (len(checked) - started) / (time.monotonic() - since)
            stop.set()
            for thread in threads:
                thread.join(timeout=120)
            refused = sum(1 for s in checked if s != 401)
        finally:
            stop_process_group(proc)
    return {"idle": idle, "loaded": loaded, "rate": rate, "refused": refused}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--logins", type=int, default=8)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    results = {}
    for mode, label in (("on-loop", "on the loop (before)"), ("off-loop", "off the loop (now)")):
        r = results[mode] = run_mode(mode, args.seconds, args.logins)
        print(f"{label:22} /healthz idle p50 {statistics.median(r['idle']):6.1f} ms | with {args.logins} logins: "
              f"p50 {statistics.median(r['loaded']):7.1f} ms  p99 {percentile(r['loaded'], 0.99):7.1f} ms  "
              f"max {max(r['loaded']):7.1f} ms  ({len(r['loaded'])} probes) | {r['rate']:5.1f} logins checked/s, "
              f"{r['refused']} not 401")
    before, now = results["on-loop"], results["off-loop"]
    print(f"/healthz p99 under logins, before / now: "
          f"{percentile(before['loaded'], 0.99) / percentile(now['loaded'], 0.99):.1f}x; "
          f"now loaded / now idle p50: {statistics.median(now['loaded']) / statistics.median(now['idle']):.1f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
