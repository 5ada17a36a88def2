"""Drain 10,000 queued statements to a local ralph LRS; compare with a bare httpx loop.

Usage: .venv/bin/python benchmarks/sync_drain.py [--count 10000] [--batch N] [--repeat 3] [--bad]

Each scenario gets a fresh ralph (fs backend, launched as in the tests, with request-gzip
support) behind a TCP relay in its own process that counts the bytes on the wire (TCP payload,
both directions) and the connections opened. Every scenario uses the same batch size (default:
the config's `[sync] batch_size`). Scenarios: the baseline (statements pre-built, POSTed by a
bare httpx loop) and classbox's sync runner (claim -> build -> POST -> mark, durable commits),
run back to back per gzip setting, for --repeat rounds: medians and per-round ratios printed.
--bad adds a classbox run with one statement the LRS refuses (422) in the middle of the queue:
the batch holding it is split around it.
Goals: >= 500 statements/s; <= 400 bytes/statement with gzip.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classbox.config import SCHEMA, load_config  # noqa: E402
from classbox.storage import open_database  # noqa: E402
from classbox.sync.clock import Dated  # noqa: E402
from classbox.sync.connectors.xapi import GZIP_LEVEL  # noqa: E402
from classbox.sync.outbox import enqueue  # noqa: E402
from classbox.sync.runner import SyncRunner  # noqa: E402
from classbox.sync.statements import StatementBuilder  # noqa: E402
from classbox.web.datadir import prepare_data_dir  # noqa: E402
from tests.helpers import free_port  # noqa: E402
from tests.sync.conftest import answer_payload  # noqa: E402
from tests.sync.peers import Ralph  # noqa: E402


class CountingRelay:
    """127.0.0.1:port -> target in a child process (not sharing the measured process's GIL),
    counting bytes each way and connections."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self._up, self._down, self._conns = (multiprocessing.Value("q", 0, lock=False) for _ in range(3))
        ready = multiprocessing.Event()
        self.proc = multiprocessing.get_context("fork").Process(target=self._run, args=(ready,), daemon=True)
        self.proc.start()
        ready.wait(10)

    @property
    def up(self) -> int:
        return self._up.value

    @property
    def down(self) -> int:
        return self._down.value

    @property
    def connections(self) -> int:
        return self._conns.value

    async def _pipe(self, reader, writer, counter) -> None:
        try:
            while data := await reader.read(65536):
                counter.value += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader, client_writer) -> None:
        self._conns.value += 1
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(self._pipe(client_reader, server_writer, self._up),
                             self._pipe(server_reader, client_writer, self._down))

    def _run(self, ready) -> None:
        async def serve() -> None:
            server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
            ready.set()
            async with server:
                await server.serve_forever()
        asyncio.run(serve())

    def stop(self) -> None:
        """Stop the relay process (by its PID: ours)."""
        self.proc.terminate()
        self.proc.join(10)


def fresh_lrs(work: Path, name: str) -> tuple[Ralph, CountingRelay]:
    server = Ralph(work / name, gzip_requests=True).start()
    return server, CountingRelay(server.port)


def stop(server: Ralph, relay: CountingRelay) -> None:
    """Stop both, and drop the LRS's store (tens of MB per run)."""
    server.stop()
    relay.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


def payload(n: int, sid: str) -> dict:
    return answer_payload(n, sid, pupil=f"p-{n % 30}")


def baseline(work: Path, count: int, batch: int, use_gzip: bool) -> dict:
    """The floor: pre-built statements POSTed by a bare httpx loop (one client, keep-alive)."""
    name = f"baseline-{'gzip' if use_gzip else 'plain'}"
    builder = StatementBuilder("http://cb-bench.classbox.invalid", "cb-bench")
    statements = []
    for n in range(count):
        sid = str(uuid.uuid4())
        statements.append(builder.build(payload(n, sid), sid, n + 1, Dated(time.time(), True)))
    server, relay = fresh_lrs(work, name)  # after building the statements: nothing fails before `try`
    url = f"http://127.0.0.1:{relay.port}/xAPI/statements"
    headers = {"Content-Type": "application/json", **({"Content-Encoding": "gzip"} if use_gzip else {})}
    latencies: list[float] = []
    try:
        with httpx.Client(auth=(server.username, server.password), timeout=120,
                          headers={"X-Experience-API-Version": "1.0.3"}) as client:
            started = time.perf_counter()
            for start in range(0, count, batch):
                body = json.dumps(statements[start:start + batch], separators=(",", ":"),
                                  ensure_ascii=False).encode()
                if use_gzip:
                    body = gzip.compress(body, GZIP_LEVEL)
                sent = time.perf_counter()
                response = client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - sent)
                response.raise_for_status()
            elapsed = time.perf_counter() - started
        stored = len(server.stored())
    finally:
        stop(server, relay)
    return {"name": f"bare httpx loop, gzip {'on' if use_gzip else 'off'}", "elapsed": elapsed,
            "stored": stored, "up": relay.up, "down": relay.down, "conns": relay.connections,
            "count": count, "expected": count, "latencies": latencies, "dead": 0}


def classbox_drain(work: Path, count: int, batch: int, use_gzip: bool, bad: bool = False) -> dict:
    """classbox's SyncRunner draining the outbox (durable claim and mark commits)."""
    name = f"classbox-{'gzip' if use_gzip else 'plain'}{'-bad' if bad else ''}"
    work.mkdir(parents=True, exist_ok=True)
    server, relay = fresh_lrs(work, name)
    runner = None
    try:  # from here on the LRS is stopped whatever fails
        secret = work / f"{name}.pw"
        secret.write_text(server.password)
        config = load_config(path=os.devnull, env={}, overrides={
            "data_dir": work / f"{name}-data", "box.id": "cb-bench", "discovery.enabled": False,
            "sync.xapi.endpoint": f"http://127.0.0.1:{relay.port}/xAPI", "sync.xapi.username": server.username,
            "sync.xapi.password_file": str(secret), "sync.batch_size": batch, "sync.gzip": use_gzip})
        db = prepare_data_dir(config)
        with db.conn:
            for n in range(count):
                sid = "not-a-uuid" if bad and n == count // 2 + 7 else str(uuid.uuid4())
                enqueue(db, "xapi", "lrs", payload(n, sid), sid, f"p-{n % 30}")
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
        started = time.perf_counter()
        done = dead = 0
        while done < count:
            summary = runner.once()
            if not summary["delivered"] and not summary["dead"]:
                raise RuntimeError(f"drain stalled: {summary}")
            done += summary["delivered"] + summary["dead"]
            dead += summary["dead"]
        elapsed = time.perf_counter() - started
        stored = len(server.stored())
    finally:
        if runner is not None:
            runner.link.close()
        stop(server, relay)
    check = open_database(config.data_dir)
    left = check.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
    check.conn.close()
    shutil.rmtree(config.data_dir, ignore_errors=True)
    label = f"classbox sync, gzip {'on' if use_gzip else 'off'}" + (", 1 refused" if bad else "")
    return {"name": label, "elapsed": elapsed, "stored": stored, "up": relay.up, "down": relay.down,
            "conns": relay.connections, "count": count, "expected": count - dead, "left": left,
            "latencies": latencies, "dead": dead}


def summarize(runs: list[dict]) -> dict:
    """The median run of a scenario by rate, with every rate of it."""
    rates = sorted(run["count"] / run["elapsed"] for run in runs)
    median = sorted(runs, key=lambda run: run["count"] / run["elapsed"])[len(runs) // 2]
    return dict(median, rates=rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=SCHEMA["sync"]["batch_size"][1],
                        help="statements per POST, for every scenario (default: [sync] batch_size)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds; each round runs baseline and classbox back to back (medians)")
    parser.add_argument("--bad", action="store_true", help="add a run with one refused statement")
    args = parser.parse_args()
    load_before = os.getloadavg()
    rounds: dict[str, list[dict]] = {}
    pairs: dict[str, list[float]] = {"off": [], "on": []}
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        work = Path(tmp)
        for n in range(args.repeat):
            for use_gzip in (False, True):  # a pair runs back to back: the same load for both
                pair = [baseline(work / str(n), args.count, args.batch, use_gzip),
                        classbox_drain(work / str(n), args.count, args.batch, use_gzip)]
                for run in pair:
                    rounds.setdefault(run["name"], []).append(run)
                rate = [run["count"] / run["elapsed"] for run in pair]
                pairs["on" if use_gzip else "off"].append(rate[1] / rate[0])
            if args.bad:
                run = classbox_drain(work / str(n), args.count, args.batch, use_gzip=True, bad=True)
                rounds.setdefault(run["name"], []).append(run)
    load_after = os.getloadavg()
    runs = [summarize(group) for group in rounds.values()]
    rates = {run["name"]: run["count"] / run["elapsed"] for run in runs}
    print(f"{args.count} statements, batches of {args.batch}, {args.repeat} round(s) (medians); ralph (fs "
          f"backend) on loopback behind a byte-counting relay; load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after (1-min), {os.cpu_count()} CPUs")
    print(f"{'scenario':36} {'stmt/s':>7} {'all runs':>16} {'B/stmt up':>10} {'down':>5} {'conns':>5} "
          f"{'POSTs':>5} {'p50 ms':>7} {'p99 ms':>7} {'stored':>7} {'lost/dup':>8} {'dead':>4}")
    for run in runs:
        lat = sorted(run["latencies"])
        p50, p99 = lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        every = "/".join(f"{r:.0f}" for r in run["rates"])
        print(f"{run['name']:36} {rates[run['name']]:7.0f} {every:>16} {run['up'] / run['count']:10.0f} "
              f"{run['down'] / run['count']:5.0f} {run['conns']:5d} {len(lat):5d} {p50:7.1f} {p99:7.1f} "
              f"{run['stored']:7d} {run['stored'] - run['expected']:8d} {run['dead']:4d}")
    for key in ("off", "on"):
        ratios = sorted(pairs[key])
        print(f"ratio classbox / bare loop, gzip {key}: median {ratios[len(ratios) // 2]:.2f} "
              f"(each round: {', '.join(f'{r:.2f}' for r in pairs[key])})")
    plain = rates["classbox sync, gzip off"]
    gz = next(run for run in runs if run["name"] == "classbox sync, gzip on")
    print(f"goals: >= 500 stmt/s -> {plain:.0f} (plain), {gz['count'] / gz['elapsed']:.0f} (gzip); "
          f"<= 400 B/stmt with gzip -> {gz['up'] / gz['count']:.0f}")


if __name__ == "__main__":
    main()
