"""Several web workers joined by Redis (issue 22): push fan-out with 1 worker against 2, and what
Redis adds to a push.

    .venv/bin/python benchmarks/workers_push.py school [--duration 60] [--classes 20]
    .venv/bin/python benchmarks/workers_push.py cross [--rounds 30]
    .venv/bin/python benchmarks/workers_push.py idle     # RSS and PSS of 1, 2, 4 idle workers

school: 20 classes of 30 pupils (600 devices), each teacher pushes every 2 s for 60 s; `classbox
web` with 1 worker (the baseline of the run) then 2 workers and a real redis-server. Prints p50,
p99, lost pushes, peak RSS of the server's processes plus Redis, and 2 workers / 1 worker.
Goal: p99 with 2 workers <= 0.7 x one worker's, 0 lost, total RSS <= 300 MB.

cross: one class of 35 pupils, one push at a time: 1 worker without Redis (the baseline), 1 worker
through Redis, 2 workers through Redis (python-socketio's Redis manager publishes every emit and
each worker, the sender included, delivers what it reads back, so a push to pupils on the other
worker takes the same path). Prints the p99 Redis adds.

One asyncio process of AsyncClients (websocket) stands for every device: with 600 of them on
this 2-core machine the load generator shares the cores with the server; `uptime` is printed with
every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil

from classroom_load import ROOT, Client, Server, paused_gc, pct, push, ratio, setup_class

sys.path.insert(0, str(ROOT))
from tests.redis_server import RedisServer  # noqa: E402


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def rss_mb(proc) -> float:
    try:
        return psutil.Process(proc.pid).memory_info().rss / 2**20
    except psutil.Error:
        return 0.0


class Box:
    """`classbox web` with N workers (and a redis-server when asked), stopped by PID."""

    def __init__(self, workers: int, redis: bool, teachers: int, preexec=None, on_redis=None, prepare=None) -> None:
        self.redis = None
        self.folder = tempfile.TemporaryDirectory(prefix="cbx-redis-")
        if redis:
            self.redis = RedisServer(Path(self.folder.name)).start()
            if on_redis:
                on_redis(self.redis.proc.pid)
        self.server = Server("classbox", workers=workers, redis_url=self.redis.url if self.redis else "",
                             teachers=teachers, preexec=preexec, prepare=prepare)
        self.peak_total = 0.0
        self.peak_pss = 0.0

    def sample(self) -> None:
        total = self.server.rss_mb() + (rss_mb(self.redis.proc) if self.redis else 0.0)
        self.peak_total = max(self.peak_total, total)

    def sample_pss(self) -> None:
        """PSS of the same processes (reads every mapping: run off the clients' event loop)."""
        try:
            root = psutil.Process(self.server.proc.pid)
            procs = [root, *root.children(recursive=True)] + ([psutil.Process(self.redis.proc.pid)] if self.redis else [])
            total = sum(p.memory_full_info().pss for p in procs) / 2**20
        except psutil.Error:
            return
        self.peak_pss = max(self.peak_pss, total)

    def stop(self) -> None:
        self.server.stop()
        if self.redis:
            self.redis.stop()
        self.folder.cleanup()


async def school_run(box: Box, classes_n: int, pupils: int, duration: float) -> dict:
    classes = [await setup_class(box.server, i, pupils) for i in range(classes_n)]
    sent: dict[str, float] = {}
    stop = asyncio.Event()

    async def sampler() -> None:
        ticks = 0
        while not stop.is_set():
            box.sample()
            if ticks % 4 == 0:
                await asyncio.to_thread(box.sample_pss)
            ticks += 1
            await asyncio.sleep(0.5)

    async def teacher_loop(i: int, teacher: Client, code: str) -> None:
        await asyncio.sleep(i * 2.0 / classes_n)  # teachers do not push in lockstep
        n, end = 0, time.perf_counter() + duration
        while time.perf_counter() < end:
            text = f"c{i}-r{n}"
            sent[text] = time.perf_counter()
            await push(teacher, code, text)
            n += 1
            await asyncio.sleep(2.0)

    task = asyncio.create_task(sampler())
    started = load()
    with paused_gc():
        await asyncio.gather(*(teacher_loop(i, t, c) for i, (t, c, _) in enumerate(classes)))
        await asyncio.sleep(3)
    stop.set()
    await task
    latencies, lost = [], 0
    for i, (_, _, kids) in enumerate(classes):
        for text, t0 in sent.items():
            if text.startswith(f"c{i}-"):
                for k in kids:
                    if text in k.arrivals:
                        latencies.append(k.arrivals[text] - t0)
                    else:
                        lost += 1
    await asyncio.gather(*(c.sio.disconnect() for t, _, kids in classes for c in [t, *kids]))
    return {"p50_ms": round(pct(latencies, 50), 1), "p99_ms": round(pct(latencies, 99), 1), "lost": lost,
            "deliveries": len(latencies), "peak_total_rss_mb": round(box.peak_total, 1),
            "peak_total_pss_mb": round(box.peak_pss, 1),
            "load_start": started, "load_end": load()}


async def one_class_run(box: Box, pupils: int, rounds: int) -> dict:
    teacher, code, kids = await setup_class(box.server, 0, pupils)
    latencies = []
    started = load()
    with paused_gc():
        for r in range(rounds):
            text = f"r{r}"
            t0 = await push(teacher, code, text)
            deadline = time.perf_counter() + 5
            while time.perf_counter() < deadline and not all(text in k.arrivals for k in kids):
                await asyncio.sleep(0.002)
            latencies += [k.arrivals[text] - t0 for k in kids if text in k.arrivals]
            await asyncio.sleep(0.2)
    lost = sum(1 for r in range(rounds) for k in kids if f"r{r}" not in k.arrivals)
    await asyncio.gather(*(c.sio.disconnect() for c in [teacher, *kids]))
    return {"p50_ms": round(pct(latencies, 50), 2), "p99_ms": round(pct(latencies, 99), 2), "lost": lost,
            "deliveries": len(latencies), "load_start": started, "load_end": load()}


async def run(kind: str, args, workers: int, redis: bool) -> dict:
    box = Box(workers, redis, teachers=max(10, args.classes))
    try:
        if kind == "school":
            return await school_run(box, args.classes, args.pupils, args.duration)
        return await one_class_run(box, 35, args.rounds)
    finally:
        box.stop()


def idle_memory(workers: int) -> dict:
    """RSS and PSS (shared pages split between the processes that map them) of an idle box."""
    box = Box(workers, workers > 1, teachers=1)
    try:
        time.sleep(5)
        root = psutil.Process(box.server.proc.pid)
        procs = [root, *root.children(recursive=True)] + ([psutil.Process(box.redis.proc.pid)] if box.redis else [])
        info = [p.memory_full_info() for p in procs]
        return {"workers": workers, "processes": len(procs), "rss_mb": round(sum(i.rss for i in info) / 2**20, 1),
                "pss_mb": round(sum(i.pss for i in info) / 2**20, 1),
                "per_process_rss_mb": [round(i.rss / 2**20, 1) for i in info], "load": load()}
    finally:
        box.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["school", "cross", "idle"])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--pupils", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), load(), flush=True)
    if args.kind == "idle":
        for workers in (1, 2, 4):
            print(json.dumps(idle_memory(workers)), flush=True)
    elif args.kind == "school":
        runs = {"1 worker": await run("school", args, 1, False), "2 workers + redis": await run("school", args, 2, True)}
        print(json.dumps(runs, indent=2))
        one, two = runs["1 worker"], runs["2 workers + redis"]
        print(f"{args.classes * args.pupils} devices, {args.classes} classes: p99 1 worker {one['p99_ms']} ms, "
              f"2 workers {two['p99_ms']} ms, ratio {ratio(two['p99_ms'], one['p99_ms'])} (goal <= 0.7); "
              f"lost {one['lost']} / {two['lost']} (goal 0); total RSS {one['peak_total_rss_mb']} / "
              f"{two['peak_total_rss_mb']} MB (goal <= 300), PSS {one['peak_total_pss_mb']} / {two['peak_total_pss_mb']} MB")
    else:
        runs = {"1 worker": await run("cross", args, 1, False), "1 worker + redis": await run("cross", args, 1, True),
                "2 workers + redis": await run("cross", args, 2, True)}
        print(json.dumps(runs, indent=2))
        base = runs["1 worker"]
        for name, r in runs.items():
            print(f"{name:18} p50 {r['p50_ms']} p99 {r['p99_ms']} ms, added p99 {r['p99_ms'] - base['p99_ms']:+.2f} ms "
                  f"(x{ratio(r['p99_ms'], base['p99_ms'])}), lost {r['lost']}")
    print(load())


if __name__ == "__main__":
    asyncio.run(main())
