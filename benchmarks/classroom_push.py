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
import contextlib
import gc
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import psutil
import socketio
import yarl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.helpers import free_port, wait_http  # noqa: E402

NS = "/classroom"
PASSWORD = "bench-password-1"


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


@contextlib.contextmanager
def paused_gc():
    """Collect the load generator's garbage now and not during a measured phase.

    One process stands for hundreds of devices: a full collection of its heap (300+ clients)
    paused every client at once for up to 0.5 s in earlier runs, which showed up as server
    latency, at random, in the baseline and in classbox alike.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Server:
    """A server process (gunicorn gevent, 1 worker) and its peak RSS (whole process tree)."""

    def __init__(self, kind: str, emulate_ms: float = 0.0) -> None:
        self.kind, self.port = kind, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = tempfile.TemporaryDirectory(prefix="classbox-bench-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
        if kind == "baseline":
            cmd = [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "2000",
                   "-b", f"127.0.0.1:{self.port}", "--pythonpath", str(ROOT / "benchmarks"), "classroom_baseline:app"]
        else:
            data = Path(self.tmp.name) / "data"
            env.update({"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_DATA_DIR": str(data),
                        "CLASSBOX_CLASSROOM_JOINS_PER_IP_BURST": "100000",
                        "CLASSBOX_CLASSROOM_NEW_PUPILS_BURST": "100000",  # every simulated tablet is 127.0.0.1
                        "CLASSBOX_CLASSROOM_MAX_PUPILS_PER_SESSION": "100",
                        "CLASSBOX_CLASSROOM_EMULATE_COMMIT_MS": str(emulate_ms)})
            self._make_teachers(data, env)
            cmd = [sys.executable, "-m", "classbox", "web", "--host", "127.0.0.1", "--port", str(self.port)]
        self.log = open(Path(self.tmp.name) / "server.log", "wb")
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_http(self.url + "/", proc=self.proc, timeout=60)
        self.peak_rss = 0

    @staticmethod
    def _make_teachers(data: Path, env: dict) -> None:
        from classbox.auth.users import add_user
        from classbox.config import load_config
        from classbox.web.datadir import prepare_data_dir

        db = prepare_data_dir(load_config(path=os.devnull, env={}, overrides={"data_dir": data}))
        for i in range(10):
            add_user(db, f"prof{i}", "teacher", PASSWORD)
        db.conn.close()

    def rss_mb(self) -> float:
        try:
            root = psutil.Process(self.proc.pid)
            total = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
        except psutil.Error:
            return 0.0
        self.peak_rss = max(self.peak_rss, total)
        return total / 2**20

    def worker_rss_mb(self) -> float:
        try:
            kids = psutil.Process(self.proc.pid).children(recursive=True)
            return max((k.memory_info().rss for k in kids), default=0) / 2**20
        except psutil.Error:
            return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        self.tmp.cleanup()


async def teacher_cookie(server: Server, i: int) -> dict:
    if server.kind == "baseline":
        return {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(server.url + "/login") as r:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', await r.text()).group(1)
        async with http.post(server.url + "/login", allow_redirects=False,
                             data={"login": f"prof{i}", "password": PASSWORD, "csrf_token": csrf}) as r:
            assert r.status == 302, r.status
        cookie = http.cookie_jar.filter_cookies(yarl.URL(server.url))["classbox_session"].value
        return {"Cookie": f"classbox_session={cookie}"}


class Client:
    """One AsyncClient; remembers when each pushed text arrived."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.arrivals: dict[str, float] = {}
        self.sio.on("activity", self._on_activity, namespace=NS)

    async def _on_activity(self, data):
        self.arrivals[data.get("text", "")] = time.perf_counter()

    async def connect(self, url: str, headers: dict | None = None) -> None:
        await self.sio.connect(url, namespaces=[NS], transports=["websocket"], headers=headers or {},
                               wait_timeout=30)

    async def call(self, event: str, data: dict) -> dict:
        return await self.sio.call(event, data, namespace=NS, timeout=60)


async def setup_class(server: Server, index: int, pupils: int) -> tuple[Client, str, list[Client]]:
    teacher = Client()
    await teacher.connect(server.url, await teacher_cookie(server, index))
    code = (await teacher.call("open_session", {"title": f"classe{index}"}))["code"]
    kids = [Client() for _ in range(pupils)]
    sem = asyncio.Semaphore(25)

    async def join(k: int, c: Client) -> None:
        async with sem:
            await c.connect(server.url)
            ack = await c.call("join", {"code": code, "name": f"Eleve{k}"})
            assert ack.get("ok"), ack

    await asyncio.gather(*(join(k, c) for k, c in enumerate(kids)))
    return teacher, code, kids


async def push(teacher: Client, code: str, text: str) -> float:
    t0 = time.perf_counter()
    ack = await teacher.call("push", {"type": "message", "text": text, "code": code})
    assert ack.get("ok"), ack
    return t0


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


async def simultaneous_submits(server: Server, classes, round_no: int) -> dict:
    """Every pupil answers the current question at the same instant."""
    targets = []
    for i, (teacher, code, kids) in enumerate(classes):
        ack = await teacher.call("push", {"type": "quiz", "kind": "number", "question": f"q{round_no}",
                                          "code": code, "text": f"quiz{i}-{round_no}"})
        targets += [(k, ack["activity"]["id"]) for k in kids]
    await asyncio.sleep(0.5)
    latencies, failed = [], 0

    async def submit(k: Client, activity_id: str) -> None:
        nonlocal failed
        t0 = time.perf_counter()
        ack = await k.call("submit", {"activity_id": activity_id, "submission_id": str(uuid.uuid4()),
                                      "answer": 42})
        if ack.get("ok"):
            latencies.append(time.perf_counter() - t0)
        else:
            failed += 1

    with paused_gc():
        await asyncio.gather(*(submit(k, a) for k, a in targets))
    return {"lat": latencies, "acked": len(latencies), "failed": failed}


async def measure(kind: str, args, emulate_ms: float = 0.0) -> dict:
    server = Server(kind, emulate_ms)
    try:
        result = {"one_class": await one_class(server, args.rounds)}
        result.update(await school(server, args.duration, args.submit_rounds))
        return result
    finally:
        server.stop()


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


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
