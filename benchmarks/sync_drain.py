"""Drain 10,000 queued statements to a local ralph LRS; compare with a bare httpx loop.

Usage: .venv/bin/python benchmarks/sync_drain.py [--count 10000] [--batch 50]

Each run gets a fresh ralph (fs backend, launched as in the tests, with request-gzip support)
behind a tiny TCP relay that counts the bytes on the wire (TCP payload, both directions).
Scenarios: the baseline (statements pre-built, POSTed by a bare httpx loop, plain JSON), then
classbox's sync runner (claim -> build -> POST -> mark, durable commits) without and with gzip.
Goals (issue #5): >= 500 statements/s; <= 400 bytes/statement with gzip.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classbox.config import load_config  # noqa: E402
from classbox.setup import prepare_data_dir  # noqa: E402
from classbox.storage import open_database  # noqa: E402
from classbox.sync.clock import Dated  # noqa: E402
from classbox.sync.outbox import enqueue  # noqa: E402
from classbox.sync.runner import SyncRunner  # noqa: E402
from classbox.sync.statements import StatementBuilder  # noqa: E402
from tests.helpers import free_port  # noqa: E402
from tests.sync.conftest import answer_payload  # noqa: E402
from tests.sync.peers import Ralph  # noqa: E402


class CountingRelay:
    """127.0.0.1:port -> target, counting bytes each way, in a thread with its own loop."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.up = 0
        self.down = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait()

    async def _pipe(self, reader, writer, direction: str) -> None:
        try:
            while data := await reader.read(65536):
                setattr(self, direction, getattr(self, direction) + len(data))
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(self._pipe(client_reader, server_writer, "up"),
                             self._pipe(server_reader, client_writer, "down"))

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self.ready.set()
        self.loop.run_forever()


def fresh_lrs(work: Path, name: str) -> tuple[Ralph, CountingRelay]:
    server = Ralph(work / name, gzip_requests=True).start()
    return server, CountingRelay(server.port)


def baseline(work: Path, count: int, batch: int) -> dict:
    server, relay = fresh_lrs(work, "baseline")
    builder = StatementBuilder("http://cb-bench.classbox.invalid", "cb-bench")
    statements = []
    for n in range(count):
        sid = str(uuid.uuid4())
        statements.append(builder.build(answer_payload(n, sid, pupil=f"p-{n % 30}"), sid, n + 1,
                                        Dated(time.time(), True)))
    url = f"http://127.0.0.1:{relay.port}/xAPI/statements"
    latencies: list[float] = []
    try:
        with httpx.Client(auth=(server.username, server.password), timeout=120,
                          headers={"X-Experience-API-Version": "1.0.3"}) as client:
            started = time.perf_counter()
            for start in range(0, count, batch):
                body = json.dumps(statements[start:start + batch], separators=(",", ":")).encode()
                sent = time.perf_counter()
                response = client.post(url, content=body, headers={"Content-Type": "application/json"})
                latencies.append(time.perf_counter() - sent)
                response.raise_for_status()
            elapsed = time.perf_counter() - started
        stored = len(server.stored())
    finally:
        server.stop()
    return {"name": "bare httpx loop (baseline)", "elapsed": elapsed, "stored": stored,
            "up": relay.up, "down": relay.down, "count": count, "latencies": latencies}


def classbox_drain(work: Path, count: int, batch: int, use_gzip: bool) -> dict:
    name = f"classbox-{'gzip' if use_gzip else 'plain'}"
    server, relay = fresh_lrs(work, name)
    secret = work / f"{name}.pw"
    secret.write_text(server.password)
    config = load_config(path=os.devnull, env={}, overrides={
        "data_dir": work / f"{name}-data", "box.id": "cb-bench", "discovery.enabled": False,
        "sync.xapi.endpoint": f"http://127.0.0.1:{relay.port}/xAPI", "sync.xapi.username": server.username,
        "sync.xapi.password_file": str(secret), "sync.batch_size": batch, "sync.gzip": use_gzip})
    db = prepare_data_dir(config)
    with db.conn:
        for n in range(count):
            sid = str(uuid.uuid4())
            enqueue(db, "xapi", "lrs", answer_payload(n, sid, pupil=f"p-{n % 30}"), sid, f"p-{n % 30}")
    db.conn.close()
    runner = SyncRunner(config)
    latencies: list[float] = []
    request = runner.link.request

    def timed(method, url, *args, **kwargs):
        sent = time.perf_counter()
        try:
            return request(method, url, *args, **kwargs)
        finally:
            if method == "POST":
                latencies.append(time.perf_counter() - sent)
    runner.link.request = timed
    try:
        started = time.perf_counter()
        delivered = 0
        while delivered < count:
            summary = runner.once()
            if not summary["delivered"]:
                raise RuntimeError(f"drain stalled: {summary}")
            delivered += summary["delivered"]
        elapsed = time.perf_counter() - started
        stored = len(server.stored())
    finally:
        runner.link.close()
        server.stop()
    check = open_database(config.data_dir)
    left = check.execute("SELECT COUNT(*) FROM outbox WHERE state != 'delivered'").fetchone()[0]
    check.conn.close()
    return {"name": f"classbox sync, gzip {'on' if use_gzip else 'off'}", "elapsed": elapsed,
            "stored": stored, "up": relay.up, "down": relay.down, "count": count, "left": left,
            "latencies": latencies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        work = Path(tmp)
        runs = [baseline(work, args.count, args.batch),
                classbox_drain(work, args.count, args.batch, use_gzip=False),
                classbox_drain(work, args.count, args.batch, use_gzip=True)]
    base_rate = runs[0]["count"] / runs[0]["elapsed"]
    print(f"{args.count} statements, batches of {args.batch}; ralph (fs backend) on loopback behind a byte-counting relay")
    print(f"{'scenario':34} {'stmt/s':>8} {'ratio':>6} {'B/stmt up':>10} {'B/stmt down':>12} "
          f"{'POST p50 ms':>12} {'p99 ms':>8} {'stored':>7} {'lost/dup':>8}")
    for run in runs:
        rate = run["count"] / run["elapsed"]
        lat = sorted(run["latencies"])
        p50, p99 = lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        print(f"{run['name']:34} {rate:8.0f} {rate / base_rate:6.2f} {run['up'] / run['count']:10.0f} "
              f"{run['down'] / run['count']:12.0f} {p50:12.1f} {p99:8.1f} {run['stored']:7d} "
              f"{run['stored'] - run['count']:8d}")
    gz = runs[2]
    print(f"goals: >= 500 stmt/s -> {runs[1]['count'] / runs[1]['elapsed']:.0f} (plain), "
          f"{gz['count'] / gz['elapsed']:.0f} (gzip); <= 400 B/stmt with gzip -> {gz['up'] / gz['count']:.0f}")


if __name__ == "__main__":
    main()
