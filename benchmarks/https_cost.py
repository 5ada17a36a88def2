"""What HTTPS costs on the box: TLS handshakes and a pupil page load over HTTPS vs HTTP, same run.

One `classbox web` (gunicorn, gevent, 1 worker) behind Debian's nginx with the classbox_nginx
site and a certificate (TLS 1.3, Mozilla modern; redirect off so that both ports serve the app);
the baseline is the same nginx and app over plain HTTP, measured alternately in the same run.

1. Fresh connections, sequential: TCP connect, TLS handshake, then GET /healthz to the end.
2. Cold page loads of the pupil page `/` in Debian's Chromium (a new context each time, no cache,
   no service worker), the root trusted through an NSS database in a temporary HOME; the
   navigation timing's loadEventEnd.

    .venv/bin/python benchmarks/https_cost.py [--connections 300] [--loads 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.library_common import classbox_web, start, stop  # noqa: E402
from classbox.web.datadir import prepare_data_dir  # noqa: E402
from tests.certificates import make_authority, make_leaf, pem, write_pair  # noqa: E402
from tests.e2e.harness import CHROMIUM_ARGS  # noqa: E402
from tests.helpers import free_port, make_config, wait_until  # noqa: E402
from tests.provisioning.test_nginx_site import main_conf  # noqa: E402
from tests.provisioning.test_nginx_tls import NAME, render  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def one_request(port: int, context: ssl.SSLContext | None) -> tuple[float, float, float]:
    """(connect, handshake, total) in ms for GET /healthz on a fresh connection."""
    started = time.perf_counter()
    raw = socket.create_connection(("127.0.0.1", port))
    connected = time.perf_counter()
    sock = context.wrap_socket(raw, server_hostname=NAME) if context else raw
    shaken = time.perf_counter()
    sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {NAME}\r\nConnection: close\r\n\r\n".encode())
    while sock.recv(65536):
        pass
    sock.close()
    done = time.perf_counter()
    return (connected - started) * 1000, (shaken - connected) * 1000, (done - started) * 1000


def page_loads(ports: dict[str, int], root: Path, loads: int, home: Path) -> dict[str, list[float]]:
    """loadEventEnd (ms) of cold loads of /, HTTP and HTTPS alternately."""
    from playwright.sync_api import sync_playwright

    db = home / ".pki" / "nssdb"
    db.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{db}", "-N", "--empty-password"], check=True)
    subprocess.run(["certutil", "-d", f"sql:{db}", "-A", "-t", "C,,", "-n", "root", "-i", str(root)], check=True)
    found: dict[str, list[float]] = {"http": [], "https": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                             env={"HOME": str(home)},
                                             args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {NAME} 127.0.0.1"])
        try:
            for i in range(loads + 1):
                for scheme in ("http", "https"):
                    context = browser.new_context(service_workers="block", locale="fr-FR")
                    page = context.new_page()
                    page.goto(f"{scheme}://{NAME}:{ports[scheme]}/", wait_until="load")
                    took = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
                    context.close()
                    if i:  # the first round warms nginx, the app and Chromium
                        found[scheme].append(took)
        finally:
            browser.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--loads", type=int, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="https-cost-"))
    procs = []
    try:
        authority = make_authority("Benchmark Root")
        leaf, key = make_leaf(authority, [NAME])
        write_pair(work / "tls", [leaf], key)
        (work / "root.pem").write_bytes(pem(authority.cert))
        prepare_data_dir(make_config(work / "data")).conn.close()
        (work / "data" / "blobs").mkdir(exist_ok=True)
        app, url = classbox_web(work / "data", work / "web.log", behind_nginx=True)
        procs.append(app)
        ports = {"http": free_port(), "https": free_port()}
        site = render(True, False, ports, work, int(url.rsplit(":", 1)[1]))
        (work / "nginx.conf").write_text(main_conf(work, site.replace(f"{work}/blobs/", f"{work}/data/blobs/"), 256))
        nginx = start(["nginx", "-c", str(work / "nginx.conf"), "-p", str(work)], work / "nginx.out")
        procs.append(nginx)

        def up() -> bool:
            try:
                socket.create_connection(("127.0.0.1", ports["https"]), timeout=1).close()
                return True
            except OSError:
                return False
        wait_until(up, what="nginx")
        tls = ssl.create_default_context(cafile=str(work / "root.pem"))
        results: dict[str, list[tuple[float, float, float]]] = {"http": [], "https": []}
        for i in range(args.connections + 20):
            for scheme in ("http", "https"):
                measured = one_request(ports[scheme], tls if scheme == "https" else None)
                if i >= 20:
                    results[scheme].append(measured)
        print(f"load average before page loads: {os.getloadavg()}")
        loads = page_loads(ports, work / "root.pem", args.loads, work / "home")
        print(f"\nuptime: {os.getloadavg()} (1, 5, 15 min), {os.cpu_count()} cores; nginx {NAME}, TLS 1.3,"
              " ECDSA P-256 certificate")
        print(f"\nfresh connections, sequential, GET /healthz through nginx to the app ({args.connections} each)")
        print("| | TCP connect p50 | TLS handshake p50 / p99 | whole request p50 / p99 |")
        print("|---|---|---|---|")
        for scheme, rows in results.items():
            connect, shake, total = zip(*rows)
            print(f"| {scheme} | {statistics.median(connect):.2f} ms | {statistics.median(shake):.2f} /"
                  f" {percentile(list(shake), 99):.2f} ms | {statistics.median(total):.2f} /"
                  f" {percentile(list(total), 99):.2f} ms |")
        http_total = statistics.median([r[2] for r in results["http"]])
        https_total = statistics.median([r[2] for r in results["https"]])
        print(f"ratio HTTPS/HTTP, whole request p50: {https_total / http_total:.2f}")
        print(f"\ncold loads of the pupil page / in Chromium ({args.loads} each, alternating)")
        print("| | loadEventEnd p50 | p99 |")
        print("|---|---|---|")
        for scheme, values in loads.items():
            print(f"| {scheme} | {statistics.median(values):.1f} ms | {percentile(values, 99):.1f} ms |")
        print(f"ratio HTTPS/HTTP, page load p50: {statistics.median(loads['https']) / statistics.median(loads['http']):.2f}")
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
