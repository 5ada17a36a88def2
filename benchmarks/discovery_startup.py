"""Discovery: agent start → first answered mDNS query, and the advertiser's idle CPU.

Runs as root: makes two network namespaces joined by a veth pair (deleted at the end). The box
side runs either `python -m classbox agent` or the baseline, a bare python-zeroconf script that
registers one service and sleeps (the floor of the stack). The peer side sends a unicast DNS
query (PTR _classbox._tcp.local) to box:5353 every 20 ms, each with a new DNS id as dig does,
and reports when the first answer came. Idle CPU is the process's CPU time over IDLE_S seconds
once announcing.

Why a new id per query: python-zeroconf drops a packet byte-identical to the last one it read
within 800 ms (duplicate suppression). A querier repeating the same packet every 20 ms is thus
heard only every 800 ms, and the figure lands on that grid (up to 0.8 s late, bimodal). Real
queriers do not do that: dig draws a new id per query, and mDNS queriers repeat a query after
1 s or more (RFC 6762 §5.2). `--identical-queries` measures the old way.

    sudo .venv/bin/python benchmarks/discovery_startup.py [--runs 5] [--idle 30] [--identical-queries]
        [--compare CHECKOUT]   # also time the agent of another checkout, interleaved
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent

BASELINE = r'''
import socket, sys, time
from zeroconf import ServiceInfo, Zeroconf
ip = sys.argv[1]
zc = Zeroconf(interfaces=[ip])
zc.register_service(ServiceInfo("_classbox._tcp.local.", "Bare._classbox._tcp.local.", port=8080,
                                properties={"path": "/"}, server="bare.local.", parsed_addresses=[ip]))
print("registered", flush=True)
time.sleep(3600)
'''

QUERIER = r'''
import socket, sys, time
from zeroconf import DNSOutgoing, DNSQuestion, DNSIncoming
box, deadline, identical = sys.argv[1], time.monotonic() + float(sys.argv[2]), sys.argv[3] == "1"

def query(id_):
    out = DNSOutgoing(0, False, id_)  # multicast=False: the id is kept (a multicast query has id 0)
    out.add_question(DNSQuestion("_classbox._tcp.local.", 12, 1))
    return out.packets()[0]

sent = 0
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(0.02)
while time.monotonic() < deadline:
    try:
        sent += 1
        sock.sendto(query(0 if identical else sent & 0xFFFF), (box, 5353))
        data, _ = sock.recvfrom(9000)
        if DNSIncoming(data).answers():
            print(time.monotonic(), flush=True)
            break
    except OSError:
        time.sleep(0.02)
'''


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def make_link() -> tuple[str, str, str, str]:
    tag = secrets.token_hex(3)
    box_ns, peer_ns, subnet = f"cbbench-box-{tag}", f"cbbench-peer-{tag}", f"198.19.{secrets.randbelow(250) + 1}"
    ip("netns", "add", box_ns)
    ip("netns", "add", peer_ns)
    ip("link", "add", f"cbb{tag}", "netns", box_ns, "type", "veth", "peer", "name", f"cbp{tag}", "netns", peer_ns)
    for ns, dev, addr in ((box_ns, f"cbb{tag}", f"{subnet}.1"), (peer_ns, f"cbp{tag}", f"{subnet}.2")):
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
        ip("-n", ns, "link", "set", dev, "up")
    return box_ns, peer_ns, f"{subnet}.1", f"{subnet}.2"


def start_box(kind: str, box_ns: str, box_ip: str, data_dir: Path, root: Path = ROOT) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update(CLASSBOX_CONFIG=os.devnull, CLASSBOX_DATA_DIR=str(data_dir), CLASSBOX_BOX_NAME="Bench")
    command = [sys.executable, "-m", "classbox", "agent"] if kind == "classbox" else [sys.executable, "-c", BASELINE, box_ip]
    return subprocess.Popen(["ip", "netns", "exec", box_ns, *command], env=env, cwd=root, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def first_answer(kind: str, link: tuple, data_dir: Path, identical: bool = False, root: Path = ROOT) -> float:
    box_ns, peer_ns, box_ip, _ = link
    querier = subprocess.Popen(["ip", "netns", "exec", peer_ns, sys.executable, "-c", QUERIER, box_ip, "20",
                                "1" if identical else "0"],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    time.sleep(0.3)  # the querier is up and asking
    t0 = time.monotonic()
    box = start_box(kind, box_ns, box_ip, data_dir, root)
    try:
        out, _ = querier.communicate(timeout=30)
    finally:
        stop(box)
    return float(out.strip()) - t0 if out.strip() else float("nan")


def idle_cpu(kind: str, link: tuple, data_dir: Path, seconds: float) -> float:
    box_ns, _, box_ip, _ = link
    box = start_box(kind, box_ns, box_ip, data_dir)
    try:
        time.sleep(6)  # start-up and the announcements are over
        procs = [psutil.Process(box.pid)]
        before = sum(p.cpu_times().user + p.cpu_times().system for p in procs)
        time.sleep(seconds)
        after = sum(p.cpu_times().user + p.cpu_times().system for p in procs)
    finally:
        stop(box)
    return 100.0 * (after - before) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--compare", type=Path, metavar="CHECKOUT",
                        help="also time the agent of another checkout (e.g. `git worktree add /tmp/old main`)")
    parser.add_argument("--identical-queries", action="store_true",
                        help="repeat one byte-identical query (heard every 800 ms only: see above)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (network namespaces)")
    print("load average at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    link = make_link()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "classbox", "--config", os.devnull, "--data-dir", tmp, "init"],
                           check=True, capture_output=True, cwd=ROOT)
            roots = {"baseline": ROOT, "classbox": ROOT, **({"compare": args.compare} if args.compare else {})}
            results: dict[str, list[float]] = {kind: [] for kind in roots}
            for _ in range(args.runs):  # interleaved: each kind sees the same machine load
                for kind, root in roots.items():
                    results[kind].append(first_answer("baseline" if kind == "baseline" else "classbox", link,
                                                      Path(tmp), args.identical_queries, root))
            for kind, times in results.items():
                times.sort()
                print(f"{kind:9s} start → first answer: p50 {statistics.median(times):.3f} s, "
                      f"max {times[-1]:.3f} s over {args.runs} runs ({', '.join(f'{t:.2f}' for t in times)})")
            if args.compare:
                print(f"  (compare = the agent of {args.compare})")
            floor = []
            for _ in range(args.runs):
                t0 = time.monotonic()
                subprocess.run([sys.executable, "-m", "classbox", "--version"], check=True, capture_output=True,
                               cwd=ROOT)
                floor.append(time.monotonic() - t0)
            print(f"breakdown: `python -m classbox --version` (Python + the CLI's imports, no mDNS) p50 "
                  f"{statistics.median(floor):.3f} s; probing at the RFC pace 0.75-1.0 s")
            ratio = statistics.median(results["classbox"]) / statistics.median(results["baseline"])
            print(f"ratio classbox/baseline (p50): {ratio:.2f}; goal ≤ 2 s: "
                  f"{'met' if statistics.median(results['classbox']) <= 2 else 'NOT met'}")
            cpu = {kind: idle_cpu(kind, link, Path(tmp), args.idle) for kind in ("baseline", "classbox")}
            for kind, value in cpu.items():
                print(f"{kind:9s} idle CPU over {args.idle:.0f} s: {value:.3f} % of a core")
            print(f"goal ≤ 0.5 % of a core: {'met' if cpu['classbox'] <= 0.5 else 'NOT met'}")
            print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    finally:
        for ns in link[:2]:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


if __name__ == "__main__":
    main()
