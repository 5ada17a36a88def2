"""The classroom benchmarks' load generator: servers started by PID, Socket.IO clients, classes, pushes.

Used by classroom_push.py, classroom_submit_cpu.py and idle_writes.py. Servers run under gunicorn's
gevent worker (1 worker): the bare Flask-SocketIO baseline (classroom_baseline.py) or `classbox web`
on a fresh data dir with ten teacher accounts.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
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


def ratio(a: float, b: float) -> str:
    """a / b to two decimals (a figure against the baseline of the same run), or n/a."""
    return f"{a / b:.2f}" if b else "n/a"


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

    def __init__(self, kind: str, emulate_ms: float = 0.0, workers: int = 1, redis_url: str = "",
                 teachers: int = 10, preexec=None, extra_env: dict | None = None, prepare=None) -> None:
        self.kind, self.port = kind, free_port()
        self.teachers = teachers
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
                        "CLASSBOX_CLASSROOM_EMULATE_COMMIT_MS": str(emulate_ms),
                        "CLASSBOX_WEB_WORKERS": str(workers), "CLASSBOX_WEB_MESSAGE_QUEUE": redis_url,
                        **(extra_env or {})})
            # one lever at a time: BENCH_SET="CLASSBOX_CLASSROOM_ANSWER_JOURNAL=false" (the env is cleaned above)
            env.update(item.split("=", 1) for item in os.environ.get("BENCH_SET", "").split())
            self._make_teachers(data, env, teachers)
            if prepare:  # e.g. a ZIM imported into the data dir
                prepare(data)
            cmd = [sys.executable, "-m", "classbox", "web", "--host", "127.0.0.1", "--port", str(self.port)]
        self.log = open(Path(self.tmp.name) / "server.log", "wb")
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=preexec)
        wait_http(self.url + "/", proc=self.proc, timeout=60)
        self.peak_rss = 0

    @staticmethod
    def _make_teachers(data: Path, env: dict, teachers: int = 10) -> None:
        from classbox.auth.users import add_user
        from classbox.config import load_config
        from classbox.web.datadir import prepare_data_dir

        db = prepare_data_dir(load_config(path=os.devnull, env={}, overrides={"data_dir": data}))
        for i in range(teachers):
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

    def kill(self) -> None:
        """Stop the server at once (`kill -9` of its process group), as a crash would; its files stay."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

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
        self.token: str | None = None
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
            c.token = ack.get("token")  # the device's credential for HTTP hand-ins

    await asyncio.gather(*(join(k, c) for k, c in enumerate(kids)))
    return teacher, code, kids


async def push(teacher: Client, code: str, text: str) -> float:
    t0 = time.perf_counter()
    ack = await teacher.call("push", {"type": "message", "text": text, "code": code})
    assert ack.get("ok"), ack
    return t0


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
