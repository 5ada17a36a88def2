"""CPU per submitted answer in the server's worker: classbox against the bare Flask-SocketIO app.

Wall-clock acks swing with the load of a shared machine; the CPU time the worker process spends
per answer barely does. Same servers and clients as benchmarks/classroom_push.py (gunicorn gevent,
1 worker, python-socketio AsyncClients): 10 classes of 30 pupils join, then each round every pupil
answers the current quiz at once. The worker's user+system CPU over the submit rounds, divided by
the answers, is printed for both, with the ack p50/p99 of the same rounds.

    .venv/bin/python benchmarks/classroom_submit_cpu.py [--rounds 5] [--py-spy out.svg]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classroom_load import Server, pct, setup_class, simultaneous_submits  # noqa: E402


def worker_cpu_s(server: Server) -> float:
    """User+system CPU seconds of the gunicorn worker (the one child of the master)."""
    kids = psutil.Process(server.proc.pid).children(recursive=True)
    return sum(sum(k.cpu_times()[:2]) for k in kids)


async def measure(kind: str, rounds: int, spy: str | None, spy_rate: int = 200) -> dict:
    server = Server(kind)
    profiler = None
    try:
        classes = [await setup_class(server, i, 30) for i in range(10)]
        await simultaneous_submits(server, classes, 0)  # warm-up round, not counted
        if spy:
            worker = psutil.Process(server.proc.pid).children()[0].pid
            profiler = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(worker),
                                         "-o", f"{kind}-{spy}", "-r", str(spy_rate), "--nonblocking", "--format", "raw",
                                         "--gil"])
            await asyncio.sleep(1.0)
        cpu0, lat, acked, failed = worker_cpu_s(server), [], 0, 0
        for r in range(1, rounds + 1):  # each round's 10 quiz pushes are counted too (small)
            got = await simultaneous_submits(server, classes, r)
            lat += got["lat"]
            acked, failed = acked + got["acked"], failed + got["failed"]
        cpu = worker_cpu_s(server) - cpu0
        return {"acked": acked, "failed": failed, "cpu_ms_per_answer": round(cpu * 1000 / max(acked, 1), 3),
                "p50_ms": round(pct(lat, 50), 1), "p99_ms": round(pct(lat, 99), 1)}
    finally:
        if profiler is not None:  # py-spy writes its profile on SIGINT
            profiler.send_signal(2)
            profiler.wait(60)
        server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of 300 simultaneous answers")
    parser.add_argument("--py-spy", default=None,
                        help="also record a py-spy profile (raw format, GIL holder only: ~CPU) to <kind>-<suffix>")
    parser.add_argument("--py-spy-rate", type=int, default=200, help="py-spy samples per second")
    args = parser.parse_args()
    runs = {kind: await measure(kind, args.rounds, args.py_spy, args.py_spy_rate)
            for kind in ("baseline", "classbox")}
    print(json.dumps(runs, indent=2))
    base, box = runs["baseline"], runs["classbox"]
    print(f"CPU per answer: baseline {base['cpu_ms_per_answer']:.2f} ms, classbox {box['cpu_ms_per_answer']:.2f} ms "
          f"(x{box['cpu_ms_per_answer'] / base['cpu_ms_per_answer']:.2f}); ack p99 baseline {base['p99_ms']} ms, "
          f"classbox {box['p99_ms']} ms (goal 500)")


if __name__ == "__main__":
    asyncio.run(main())
