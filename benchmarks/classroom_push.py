"""Live classroom load: push fan-out and durable submissions, classbox against a bare Flask-SocketIO app.

One asyncio process of python-socketio AsyncClients (websocket transport) drives a server started
here under gunicorn's gevent worker (1 worker): first the baseline (benchmarks/classroom_baseline.py),
then classbox (`classbox web` on a fresh data dir), then classbox with an emulated 20 ms commit.

    .venv/bin/python benchmarks/classroom_push.py [--duration 60] [--rounds 15]

Prints p50/p99 latencies, lost events, peak RSS, and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from classroom_load import Client, Server, paused_gc, pct, push, ratio, setup_class, simultaneous_submits


async def one_class(server: Server, rounds: int) -> dict:
    teacher, code, kids = await setup_class(server, 0, 35)
    latencies = []
    with paused_gc():
        await _one_class_rounds(teacher, code, kids, rounds, latencies)
    lost = sum(1 for r in range(rounds) for k in kids if f"r{r}" not in k.arrivals)
    await asyncio.gather(*(c.sio.disconnect() for c in [teacher, *kids]))
    return {"p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99), "lost": lost, "events": len(latencies)}


async def _one_class_rounds(teacher: Client, code: str, kids: list[Client], rounds: int, latencies: list) -> None:
    for r in range(rounds):
        text = f"r{r}"
        t0 = time.perf_counter()
        await push(teacher, code, text)
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline and not all(text in k.arrivals for k in kids):
            await asyncio.sleep(0.005)
        latencies += [k.arrivals[text] - t0 for k in kids if text in k.arrivals]
        await asyncio.sleep(0.2)


async def school(server: Server, duration: float, submit_rounds: int) -> dict:
    classes = [await setup_class(server, i, 30) for i in range(10)]
    sent: dict[str, float] = {}
    sampler_stop = asyncio.Event()

    async def sample() -> None:
        while not sampler_stop.is_set():
            server.rss_mb()
            await asyncio.sleep(0.5)

    async def teacher_loop(i: int, teacher: Client, code: str) -> None:
        await asyncio.sleep(i * 0.2)  # teachers do not push in lockstep
        n = 0
        end = time.perf_counter() + duration
        while time.perf_counter() < end:
            text = f"c{i}-r{n}"
            sent[text] = time.perf_counter()
            await push(teacher, code, text)
            n += 1
            await asyncio.sleep(2.0)

    sampler = asyncio.create_task(sample())
    with paused_gc():
        await asyncio.gather(*(teacher_loop(i, t, c) for i, (t, c, _) in enumerate(classes)))
        await asyncio.sleep(2)
    latencies, lost = [], 0
    for i, (_, _, kids) in enumerate(classes):
        for text, t0 in sent.items():
            if not text.startswith(f"c{i}-"):
                continue
            for k in kids:
                if text in k.arrivals:
                    latencies.append(k.arrivals[text] - t0)
                else:
                    lost += 1
    push_result = {"p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99), "lost": lost,
                   "events": len(latencies)}
    submits = [await simultaneous_submits(server, classes, r) for r in range(submit_rounds)]
    sampler_stop.set()
    await sampler
    everyone = [c for t, _, kids in classes for c in [t, *kids]]
    await asyncio.gather(*(c.sio.disconnect() for c in everyone))
    return {"push": push_result, "submit": merge(submits), "peak_rss_mb": round(server.peak_rss / 2**20, 1),
            "worker_rss_mb": round(server.worker_rss_mb(), 1)}


def merge(runs: list[dict]) -> dict:
    lat = [x for r in runs for x in r["lat"]]
    return {"p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "acked": sum(r["acked"] for r in runs),
            "failed": sum(r["failed"] for r in runs)}


async def measure(kind: str, args, emulate_ms: float = 0.0) -> dict:
    server = Server(kind, emulate_ms)
    try:
        result = {"one_class": await one_class(server, args.rounds)}
        result.update(await school(server, args.duration, args.submit_rounds))
        return result
    finally:
        server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of pushes every 2 s (school)")
    parser.add_argument("--rounds", type=int, default=15, help="pushes to the single class")
    parser.add_argument("--submit-rounds", type=int, default=3, help="rounds of 300 simultaneous submissions")
    parser.add_argument("--emulate-ms", type=float, default=20.0, help="emulated commit time of the last run")
    args = parser.parse_args()
    runs = {"baseline": await measure("baseline", args),
            "classbox": await measure("classbox", args),
            f"classbox_commit_{int(args.emulate_ms)}ms": await measure("classbox", args, args.emulate_ms)}
    print(json.dumps(runs, indent=2))
    base = runs["baseline"]
    for name, run in runs.items():
        print(f"{name:24} 35 pupils p50 {run['one_class']['p50_ms']:6.1f} p99 {run['one_class']['p99_ms']:6.1f} ms "
              f"(x{ratio(run['one_class']['p99_ms'], base['one_class']['p99_ms'])}, goal 50) lost {run['one_class']['lost']} | "
              f"300 pupils p50 {run['push']['p50_ms']:6.1f} p99 {run['push']['p99_ms']:6.1f} ms "
              f"(x{ratio(run['push']['p99_ms'], base['push']['p99_ms'])}, goal 200) lost {run['push']['lost']} "
              f"rss {run['peak_rss_mb']} MB (goal 200) | submit ack p50 {run['submit']['p50_ms']:6.1f} "
              f"p99 {run['submit']['p99_ms']:6.1f} ms (goal 500) acked {run['submit']['acked']} failed {run['submit']['failed']}")


if __name__ == "__main__":
    asyncio.run(main())
