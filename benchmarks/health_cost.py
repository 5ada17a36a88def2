"""Health benchmark: sampling cost at the default interval, and /api/health latency with full history.

    .venv/bin/python benchmarks/health_cost.py [--samples 60] [--requests 400]

1. Sampling: CPU time of the agent's health tick (real psutil readers, real SQLite, an outbox of
   10,000 records, a library of 2,000 blobs), the costly parts (size walk, integrity check)
   amortised over their intervals; reported as a share of one core at [health] interval_s.
2. HTTP: `classbox web` (gunicorn, gevent, 1 worker) on a data dir whose history is full;
   sequential GETs of /healthz (the baseline), /api/health and /metrics; p50/p99 and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classbox.config import load_config  # noqa: E402
from classbox.health import history  # noqa: E402
from classbox.health.service import HealthService  # noqa: E402
from classbox.web.datadir import prepare_data_dir  # noqa: E402
from classbox.storage.maintenance import integrity_check  # noqa: E402
from classbox.health.appstate import sizes  # noqa: E402
from classbox.sync.outbox import enqueue  # noqa: E402
from tests.helpers import LiveServer  # noqa: E402


def fill(data_dir: Path) -> None:
    """An outbox of 10,000 records, 2,000 blobs, and a full history (a month of points)."""
    config = load_config(path=os.devnull, env={}, overrides={"data_dir": data_dir})
    db = prepare_data_dir(config)
    with db.conn:
        for i in range(10_000):
            enqueue(db, "xapi", f"lrs-{i % 3}", {"verb": "answered", "n": i}, f"bench-{i}", f"pupil-{i % 30}")
    for i in range(2_000):
        name = f"{i:064x}"
        folder = data_dir / "blobs" / name[:2] / name[2:4]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x" * 4096)
    sample = HealthService(config).tick(db)
    now = sample["wall"]
    with db.conn:
        t = now - 31 * 86400
        while t < now - 60:
            history.record(db, dict(sample, wall=t))
            t += 60
        history.record(db, sample)
    print(f"history: {history.counts(db)}")
    db.conn.close()


def sampling_cost(data_dir: Path, samples: int) -> dict:
    """CPU seconds per tick, and the amortised share of a core at the default interval."""
    config = load_config(path=os.devnull, env={}, overrides={"data_dir": data_dir})
    interval = config["health"]["interval_s"]
    service = HealthService(config)
    db = prepare_data_dir(config)
    service.sampler.sample(db)  # prime counters and caches
    costs = []
    for _ in range(samples):
        start = time.process_time()
        service.tick(db)
        costs.append(time.process_time() - start)
        time.sleep(0.02)
    walk_start = time.process_time()
    sizes(data_dir)
    walk = time.process_time() - walk_start
    check_start = time.process_time()
    integrity_check(data_dir)
    check = time.process_time() - check_start
    db.conn.close()
    tick = statistics.mean(costs)
    amortised = (tick + walk * interval / config["health"]["sizes_interval_s"]
                 + check * interval / (config["health"]["integrity_interval_h"] * 3600))
    return {"interval_s": interval, "tick_cpu_ms_mean": tick * 1000,
            "tick_cpu_ms_p99": sorted(costs)[max(0, int(len(costs) * 0.99) - 1)] * 1000,
            "size_walk_cpu_ms": walk * 1000, "integrity_check_cpu_ms": check * 1000,
            "core_share_percent": 100 * amortised / interval}


def admin_charts(db) -> list:
    """The five 24-hour SVG charts of /admin, from the full minute history."""
    from classbox.health.admin import CHARTS
    from classbox.health.charts import line_chart

    now = time.time()
    points = history.series(db, now)
    return [line_chart(key, title, unit, [(t, p.get(key)) for t, p in points], now - 86400, now, y_max=top)
            for key, title, unit, top in CHARTS]


def report_cost(data_dir: Path, n: int) -> dict:
    """In-process CPU time of building the report and its exposition (immune to queueing noise)."""
    from classbox.health.metrics import exposition
    from classbox.health.report import build_report

    config = load_config(path=os.devnull, env={}, overrides={"data_dir": data_dir})
    db = prepare_data_dir(config)
    out = {}
    for name, work in (("healthz (SELECT 1)", lambda: db.execute("SELECT 1").fetchone()),
                       ("report", lambda: build_report(db, config, "bench", time.time())),
                       ("report+json", lambda: json.dumps(build_report(db, config, "bench", time.time()))),
                       ("report+exposition", lambda: exposition(build_report(db, config, "bench", time.time()))),
                       ("/admin 5 charts, 24 h", lambda: admin_charts(db))):
        cpu = []
        for _ in range(n):
            start = time.process_time()
            work()
            cpu.append((time.process_time() - start) * 1000)
        out[name] = (pct(cpu, 0.5), pct(cpu, 0.99))
    db.conn.close()
    return out


def latency(url: str, path: str, n: int, client: httpx.Client) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url + path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 503), (path, response.status_code)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="classbox-health-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        fill(data_dir)
        cost = sampling_cost(data_dir, args.samples)
        print(json.dumps({k: round(v, 3) for k, v in cost.items()}))
        print(f"sampling: {cost['tick_cpu_ms_mean']:.1f} ms CPU per tick, "
              f"{cost['core_share_percent']:.3f} % of one core at {cost['interval_s']:.0f} s (goal <= 1 %)")
        for name, (p50, p99) in report_cost(data_dir, args.requests).items():
            print(f"in-process CPU {name:20} p50 {p50:6.3f} ms  p99 {p99:6.3f} ms")
        results = {}
        with LiveServer(data_dir, command="web") as server, httpx.Client(timeout=10) as client:
            for path in ("/healthz", "/api/health", "/metrics"):
                latency(server.url, path, 30, client)  # warm-up
            rounds = {p: [] for p in ("/healthz", "/api/health", "/metrics")}
            for _ in range(4):  # interleave so noise hits every path alike
                for path in rounds:
                    rounds[path] += latency(server.url, path, args.requests // 4, client)
            results = {p: (pct(v, 0.5), pct(v, 0.99)) for p, v in rounds.items()}
        base50, base99 = results["/healthz"]
        for path, (p50, p99) in results.items():
            print(f"{path:12} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  ratio to /healthz p50 {p50 / base50:4.2f} "
                  f"p99 {p99 / base99:4.2f}" + ("  (goal p99 <= 20 ms)" if path == "/api/health" else ""))


if __name__ == "__main__":
    main()
