"""Compare gunicorn worker classes for classbox's Socket.IO load: gevent vs threading.

Starts the real classbox app (create_app, same gunicorn options as `classbox web`) with a
benchmark-only namespace /bench, one worker class at a time, connects N asyncio Socket.IO
clients (websocket transport, one process), and measures: clients held, push fan-out latency
(p50/p99 over rounds, teacher emit → every pupil receives), and the worker's peak RSS.

Usage: .venv/bin/python benchmarks/worker_class.py [--clients 35 300] [--rounds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time

import httpx
import psutil
import socketio

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _serve(kind: str, port: int, data_dir: str) -> None:
    """Child process: classbox under gunicorn with a /bench namespace."""
    from flask_socketio import emit, join_room

    from classbox.config import load_config
    from classbox.extensions import socketio as sio
    from classbox.runtime.server import ClassboxGunicorn, gunicorn_options

    config = load_config(os.devnull, env={}, overrides={
        "data_dir": data_dir, "web.port": port, "web.host": "127.0.0.1", "web.worker_class": kind})

    @sio.on("join", namespace="/bench")
    def _join(room):
        join_room(room)
        return True

    @sio.on("push", namespace="/bench")
    def _push(data):
        emit("activity", data, to=data["room"], namespace="/bench")

    options = gunicorn_options(config)
    options["errorlog"] = os.path.join(data_dir, "gunicorn.log")
    ClassboxGunicorn(config, options).run()


SCENARIO_TIMEOUT_S = 240


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def measure(url: str, clients: int, rooms: int, rounds: int) -> dict:
    pupils = [socketio.AsyncClient(reconnection=False) for _ in range(clients)]
    received: dict[int, dict[int, float]] = {}
    for index, client in enumerate(pupils):
        room = f"r{index % rooms}"

        def handler(data, _i=index):
            received.setdefault(data["round"], {})[_i] = time.perf_counter()
        client.on("activity", handler, namespace="/bench")
    for batch in range(0, clients, 50):
        await asyncio.gather(*(c.connect(url, namespaces=["/bench"], transports=["websocket"], wait_timeout=10)
                               for c in pupils[batch:batch + 50]), return_exceptions=True)
    joined = await asyncio.gather(*(asyncio.wait_for(c.call("join", f"r{i % rooms}", namespace="/bench"), 10)
                                    for i, c in enumerate(pupils) if c.connected), return_exceptions=True)
    held = sum(1 for ok in joined if ok is True)
    teacher = socketio.AsyncClient(reconnection=False)
    try:
        await teacher.connect(url, namespaces=["/bench"], transports=["websocket"], wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        await asyncio.gather(*(c.disconnect() for c in pupils if c.connected))
        return {"held": held, "p50": float("nan"), "p99": float("nan"), "lost": clients}
    latencies: list[float] = []
    lost = 0
    for round_no in range(rounds):
        sent: dict[int, float] = {}
        for room in range(rooms):
            sent[room] = time.perf_counter()
            await teacher.emit("push", {"room": f"r{room}", "round": round_no * rooms + room}, namespace="/bench")
        await asyncio.sleep(1.0)
        for room in range(rooms):
            members = [i for i in range(clients) if i % rooms == room and pupils[i].connected]
            got = received.get(round_no * rooms + room, {})
            lost += sum(1 for i in members if i not in got)
            latencies.extend((got[i] - sent[room]) * 1000 for i in members if i in got)
    await teacher.disconnect()
    await asyncio.gather(*(c.disconnect() for c in pupils if c.connected))
    if not latencies:
        return {"held": held, "p50": float("nan"), "p99": float("nan"), "lost": lost}
    return {"held": held, "p50": statistics.median(latencies), "p99": percentile(latencies, 0.99), "lost": lost}


def run(kind: str, clients: int, rooms: int, rounds: int) -> dict:
    from tests.helpers import free_port

    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        proc = multiprocessing.get_context("spawn").Process(target=_serve, args=(kind, port, data_dir))
        proc.start()
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    httpx.get(url + "/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            try:
                result = asyncio.run(asyncio.wait_for(measure(url, clients, rooms, rounds), SCENARIO_TIMEOUT_S))
            except TimeoutError:
                result = {"held": 0, "p50": float("nan"), "p99": float("nan"), "lost": clients,
                          "note": f"did not complete in {SCENARIO_TIMEOUT_S} s"}
            workers = psutil.Process(proc.pid).children(recursive=True)
            result["rss_mb"] = max((w.memory_info().rss for w in workers), default=0) / 2**20
            return result
        finally:
            proc.terminate()
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[35, 300])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"{'worker':10} {'clients':>7} {'rooms':>5} {'held':>5} {'p50 ms':>8} {'p99 ms':>8} {'lost':>5} {'RSS MB':>7}")
    rows = {}
    for clients in args.clients:
        rooms = 1 if clients <= 40 else 10
        for kind in ("gevent", "threading"):
            r = run(kind, clients, rooms, args.rounds)
            rows[(kind, clients)] = r
            print(f"{kind:10} {clients:7} {rooms:5} {r['held']:5} {r['p50']:8.1f} {r['p99']:8.1f} {r['lost']:5} "
                  f"{r['rss_mb']:7.1f} {r.get('note', '')}", flush=True)
        ratio = rows[("gevent", clients)]["p99"] / rows[("threading", clients)]["p99"]
        print(f"  p99 ratio gevent/threading at {clients} clients: {ratio:.2f}")


if __name__ == "__main__":
    main()
