"""Tap to join a 30-member class: the join page's first-paint bytes, and 30 pupils tapping within 5 s.

Starts `classbox web` (gunicorn gevent, 1 worker, fresh data dir; benchmarks/classroom_load.py) and
drives it with one asyncio process of python-socketio AsyncClients (websocket). Each round opens
three sessions and has 30 pupils join each, their taps spread at random over 5 s:
  - baseline: a session without a class, pupils type a name (`join {code, name}`)
  - tap: a session of a 30-member class (`join {code, member_id}`)
  - tap+secret: the same class with two-picture secrets on (`join {code, member_id, secret}`)

    .venv/bin/python benchmarks/classes_join.py [--rounds 5] [--spread 5]

Prints the gzip size of what a phone downloads to paint the join page (pictograms excluded: the
service worker precaches them), then per mode: joined/30, p50/p99 ack, and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import re
import time
from pathlib import Path

import aiohttp

from classroom_load import Client, Server, paused_gc, pct, teacher_cookie

MEMBERS = 30
NAMES = ["Léa", "Tom", "Zoé", "Noé", "Inès", "Lucas", "Jade", "Hugo", "Lina", "Nathan", "Chloé", "Adam", "Manon",
         "Louis", "Emma", "Gabriel", "Alice", "Jules", "Rose", "Arthur", "Anna", "Paul", "Mila", "Sacha", "Lou",
         "Yanis", "Nina", "Ethan", "Léna", "Malo"]


def make_classes(data: Path) -> tuple[int, list[str], int, list[str], dict[str, list[str]]]:
    """Two classes of prof0 with 30 members each, the second with secrets on (written to the live data dir)."""
    from classbox.auth.users import find_user
    from classbox.classes import secrets, store
    from classbox.storage import open_database

    db = open_database(data)
    try:
        owner = find_user(db, "prof0")["id"]
        made = []
        for name in ("CP bleu", "CP vert"):
            klass = store.create_class(db, owner, name, ["CP"])
            added = store.add_members(db, owner, klass["id"], [{"name": n} for n in NAMES[:MEMBERS]])
            made.append((klass["id"], [m["id"] for m in added]))
        secrets.set_enabled(db, owner, made[1][0], True)
        pairs = secrets.class_secrets(db, made[1][0])
    finally:
        db.conn.close()
    return made[0][0], made[0][1], made[1][0], made[1][1], pairs


async def first_paint(server: Server, code: str) -> dict:
    """Bytes (raw, gzip -6) of the join page and the CSS/JS it loads; pictograms counted apart."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/join/{code}") as r:
            html = await r.read()
        text = html.decode()
        assets = sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css))"', text)))
        pictures = sorted(set(re.findall(r'src="(/pictograms/[^"]+)"', text)))
        modules = list(assets)
        sizes = {"html": (len(html), len(gzip.compress(html, 6)))}
        seen = set()
        while modules:  # ES modules import their neighbours
            path = modules.pop()
            if path in seen:
                continue
            seen.add(path)
            async with http.get(server.url + path) as r:
                body = await r.read()
            sizes[path] = (len(body), len(gzip.compress(body, 6)))
            if path.endswith(".js"):
                base = path.rsplit("/", 1)[0]
                for rel in re.findall(r'from "(\.{1,2}/[^"]+)"', body.decode(errors="replace")):
                    modules.append(os.path.normpath(f"{base}/{rel}"))
        pict = 0
        for path in pictures:
            async with http.get(server.url + path) as r:
                pict += len(gzip.compress(await r.read(), 6))
    return {"sizes": sizes, "pictograms_gzip": pict, "pictograms": len(pictures)}


async def burst(server: Server, teacher: Client, class_id: int | None, joins: list[dict], spread: float) -> dict:
    """30 pupils, connected, each joining once at a random instant within `spread` seconds."""
    code = (await teacher.call("open_session", {"title": "bench", **({"class_id": class_id} if class_id else {})}))["code"]
    kids = [Client() for _ in joins]
    await asyncio.gather(*(k.connect(server.url) for k in kids))
    latencies, failed = [], []

    async def one(kid: Client, data: dict, at: float) -> None:
        await asyncio.sleep(at)
        t0 = time.perf_counter()
        ack = await kid.call("join", {"code": code, **data})
        (latencies.append(time.perf_counter() - t0) if ack.get("ok") else failed.append(ack.get("error")))

    with paused_gc():
        await asyncio.gather(*(one(k, d, random.uniform(0, spread)) for k, d in zip(kids, joins)))
    await asyncio.gather(*(k.sio.disconnect() for k in kids))
    await teacher.call("close_session", {})
    return {"lat": latencies, "failed": failed}


async def main(rounds: int, spread: float) -> None:
    server = Server("classbox")
    try:
        data = Path(server.tmp.name) / "data"
        plain_id, plain_members, secret_id, secret_members, pairs = make_classes(data)
        teacher = Client()
        await teacher.connect(server.url, await teacher_cookie(server, 0))
        page_code = (await teacher.call("open_session", {"title": "CP bleu", "class_id": plain_id}))["code"]
        paint = await first_paint(server, page_code)
        await teacher.call("close_session", {})
        modes = {
            "baseline (name)": (None, [{"name": n} for n in NAMES[:MEMBERS]]),
            "tap": (plain_id, [{"member_id": m} for m in plain_members]),
            "tap+secret": (secret_id, [{"member_id": m, "secret": pairs[m]} for m in secret_members]),
        }
        results = {mode: {"lat": [], "failed": [], "joined": []} for mode in modes}
        load = os.getloadavg()
        for _ in range(rounds):
            for mode, (class_id, joins) in modes.items():  # interleaved: the same noise for all
                out = await burst(server, teacher, class_id, joins, spread)
                results[mode]["lat"] += out["lat"]
                results[mode]["failed"] += out["failed"]
                results[mode]["joined"].append(len(out["lat"]))
        await teacher.sio.disconnect()
    finally:
        server.stop()
    sizes = paint["sizes"]
    total_gz = sum(gz for _, gz in sizes.values())
    print(f"join page of a {MEMBERS}-member class, first paint (gzip -6):")
    for name, (raw, gz) in sizes.items():
        print(f"  {name:40s} {raw / 1024:7.1f} KB raw {gz / 1024:6.1f} KB gzip")
    print(f"  {'total (pictograms cached)':40s} {total_gz / 1024:22.1f} KB gzip   goal <= 50 KB")
    print(f"  {paint['pictograms']} pictograms on the page, if not cached: {paint['pictograms_gzip'] / 1024:.1f} KB gzip")
    print(f"\n{rounds} rounds x {MEMBERS} pupils tapping within {spread:g} s, load average before {load[0]:.2f}")
    base = pct(results["baseline (name)"]["lat"], 99)
    for mode, r in results.items():
        p99 = pct(r["lat"], 99)
        print(f"  {mode:16s} joined {min(r['joined'])}-{max(r['joined'])}/{MEMBERS} per round, failed {len(r['failed'])}"
              f" {sorted(set(r['failed']))}, p50 {pct(r['lat'], 50):6.1f} ms, p99 {p99:6.1f} ms,"
              f" ratio p99 {p99 / base:4.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--spread", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.spread))
