"""A Pi 4 class (pi_profile.py's CPU cap on the server and its Redis): 4 workers against 1 while
one class follows pushes and another searches a ZIM and hands in photos.

    .venv/bin/python benchmarks/workers_pi.py [--duration 60] [--ratio R]

Class A: 30 pupils, the teacher pushes every 2 s; class B: 30 pupils, each searches the ZIM's
full text (`/api/zim/<book>/search`), opens an article, and hands in a 400 KB photo every 15 s
(`/api/classroom/handin`). The cap (4 Pi 4 cores = 4 / ratio of this machine's) holds `classbox
web` and redis-server; the load generator runs outside it. Goal: class A's p99 <= 100 ms with 4
workers; the same run with 1 worker is the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

import pi_profile
from classroom_load import Client, paused_gc, pct, push, setup_class
from library_zim import WORDS, make_book
from workers_push import Box, load

PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(400_000)  # a JPEG by its magic bytes, 400 KB


def zim_importer(book: Path):
    def prepare(data: Path) -> None:
        from classbox.config import load_config
        from classbox.library import import_path

        import_path(load_config(path=os.devnull, env={}, overrides={"data_dir": data, "library.min_free_mb": 1}), book)
    return prepare


async def researchers(url: str, code_b: str, kids: list[Client], teacher: Client, end: float, stats: dict) -> None:
    activity = (await teacher.call("push", {"type": "handin", "instructions": "Photo du schéma",
                                            "accept": ["photo"], "code": code_b}))["activity"]
    tokens = [k.token for k in kids]

    async def pupil(i: int, http: aiohttp.ClientSession) -> None:
        rng = random.Random(i)
        next_photo = time.perf_counter() + rng.uniform(0, 15)
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            async with http.get(f"{url}/api/zim/bench_fr/search", params={"q": rng.choice(WORDS)}) as r:
                body = await r.json()
                stats["search"].append((time.perf_counter() - t0, r.status))
            if r.status == 200 and body.get("results"):
                async with http.get(url + body["results"][0]["url"]) as page:
                    await page.read()
            if time.perf_counter() >= next_photo:
                form = aiohttp.FormData()
                for key, value in {"token": tokens[i], "activity_id": activity["id"], "kind": "photo",
                                   "submission_id": str(uuid.uuid4())}.items():
                    form.add_field(key, value)
                form.add_field("file", PHOTO, filename="schema.jpg", content_type="image/jpeg")
                t1 = time.perf_counter()
                async with http.post(url + "/api/classroom/handin", data=form) as up:
                    await up.read()
                    stats["photo"].append((time.perf_counter() - t1, up.status))
                next_photo += 15
            await asyncio.sleep(rng.uniform(0.5, 1.5))

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(pupil(i, http) for i in range(len(kids))))


async def measure(workers: int, ratio: float, duration: float, book: Path) -> dict:
    with pi_profile.pi_cap(4, ratio) as (group, share):
        box = Box(workers, workers > 1, teachers=2, preexec=pi_profile.preexec_into(group),
                  on_redis=lambda pid: pi_profile.add(group, pid), prepare=zim_importer(book))
        try:
            teacher_a, code_a, kids_a = await setup_class(box.server, 0, 30)
            teacher_b, code_b, kids_b = await setup_class(box.server, 1, 30)
            stats = {"search": [], "photo": []}
            sent: dict[str, float] = {}
            started = load()
            end = time.perf_counter() + duration

            async def teacher_loop() -> None:
                n = 0
                while time.perf_counter() < end:
                    sent[f"a{n}"] = await push(teacher_a, code_a, f"a{n}")
                    n += 1
                    await asyncio.sleep(2.0)

            async def sampler() -> None:
                while time.perf_counter() < end + 2:
                    box.sample()
                    await asyncio.sleep(0.5)

            with paused_gc():
                await asyncio.gather(teacher_loop(), sampler(),
                                     researchers(box.server.url, code_b, kids_b, teacher_b, end, stats))
                await asyncio.sleep(2)
            lat = [k.arrivals[t] - t0 for t, t0 in sent.items() for k in kids_a if t in k.arrivals]
            lost = sum(1 for t in sent for k in kids_a if t not in k.arrivals)
            searches = [s for s, status in stats["search"] if status == 200]
            photos = [s for s, status in stats["photo"] if status == 200]
            await asyncio.gather(*(c.sio.disconnect() for c in [teacher_a, teacher_b, *kids_a, *kids_b]))
            return {"workers": workers, "cap_cores_here": round(share, 3),
                    "class_a_p50_ms": round(pct(lat, 50), 1), "class_a_p99_ms": round(pct(lat, 99), 1),
                    "class_a_lost": lost, "pushes": len(sent),
                    "searches_ok": len(searches), "searches_failed": len(stats["search"]) - len(searches),
                    "search_p50_ms": round(pct(searches, 50), 1), "search_p99_ms": round(pct(searches, 99), 1),
                    "photos_ok": len(photos), "photos_failed": len(stats["photo"]) - len(photos),
                    "photo_p99_ms": round(pct(photos, 99), 1), "peak_total_rss_mb": round(box.peak_total, 1),
                    "load_start": started, "load_end": load()}
        finally:
            box.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--ratio", type=float, default=0.0, help="Pi / here (default: calibrate now)")
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()
    print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), load(), flush=True)
    ratio = args.ratio or pi_profile.calibrate()["ratio"]
    print(f"Pi 4 ratio {ratio} (n-body, pi_profile.py): 4 Pi cores = {4 / ratio:.2f} of this machine's", flush=True)
    work = Path(tempfile.mkdtemp(prefix="classbox-bench-pi-"))
    book = work / "bench.zim"
    make_book(book, args.articles)
    runs = [await measure(1, ratio, args.duration, book), await measure(4, ratio, args.duration, book)]
    print(json.dumps(runs, indent=2))
    one, four = runs
    print(f"Pi-class, class A p99: 1 worker {one['class_a_p99_ms']} ms, 4 workers {four['class_a_p99_ms']} ms "
          f"(ratio {four['class_a_p99_ms'] / one['class_a_p99_ms']:.2f}; goal <= 100 ms), lost {one['class_a_lost']} / "
          f"{four['class_a_lost']}; searches {one['searches_ok']} / {four['searches_ok']} "
          f"(p99 {one['search_p99_ms']} / {four['search_p99_ms']} ms); photos {one['photos_ok']} / {four['photos_ok']}; "
          f"RSS {one['peak_total_rss_mb']} / {four['peak_total_rss_mb']} MB")
    print(load())


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
