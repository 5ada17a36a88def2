"""What idle_writes.py measures over a phase (per process, the device, the ext4 journal), the scripted class
it runs meanwhile, and how it prints the figures."""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from pathlib import Path

from idle_box import Box, device_written, jbd2_commits
from write_trace import Tracer
from write_trace import show as show_trace


def measure(box: Box, device: str | None, seconds: float, during=None, trace: Path | None = None) -> dict:
    """Write counters over a phase, per process and for the device, in MB/hour.

    With `trace` (a folder), the write syscalls of every process are traced too (write_trace.py).

    `during(seconds, mark)` may call mark() once (after a class's joins): the device's bytes up
    to it are reported apart ("joins_kb"), and its MB/hour from it on ("after_mark_mb_h")."""
    tracer = None if trace is None else Tracer({k: p.pid for k, p in box.processes().items()}, trace)
    try:
        before, dev0, t0 = box.written(), device_written(device), time.monotonic()
        jbd0 = jbd2_commits(device)
        marked: list[tuple[int | None, float]] = []
        if during is None:
            time.sleep(seconds)
        else:
            asyncio.run(during(seconds, lambda: marked.append((device_written(device), time.monotonic()))))
        after, dev1, t1 = box.written(), device_written(device), time.monotonic()
        jbd1 = jbd2_commits(device)
    finally:
        if tracer is not None:
            tracer.stop()
    hours = (t1 - t0) / 3600
    per = {name: (after[name] - before.get(name, 0)) / hours / 1e6 for name in after}
    device_mb = None if dev0 is None else (dev1 - dev0) / hours / 1e6
    result = {"per_process": per, "processes_mb_h": sum(per.values()), "device_mb_h": device_mb,
              "load": os.getloadavg(), "hours": hours}
    if jbd0 and jbd1:
        result["jbd2"] = (jbd1[0] - jbd0[0], jbd1[1] - jbd0[1])
    if tracer is not None:
        result["trace"] = tracer.summary(Path(box.env["CLASSBOX_DATA_DIR"]))
    if marked and dev0 is not None:
        dev_m, t_m = marked[0]
        result["joins_kb"] = (dev_m - dev0) / 1e3
        result["after_mark_mb_h"] = (dev1 - dev_m) / ((t1 - t_m) / 3600) / 1e6
    return result


def scripted_class(box: Box, pupils: int, every_s: float, within_s: float, acks: list[float]):
    """A teacher pushes a quiz every `every_s`; each pupil answers within min(within_s, every_s / 2).

    Each answer's ack time (emit -> durable ack, seconds) is appended to `acks`."""
    from classroom_load import Client, teacher_cookie

    class _Server:
        kind, url = "classbox", box.url

    async def run(seconds: float, mark=lambda: None) -> None:
        t_start = time.monotonic()
        teacher = Client()
        await teacher.connect(box.url, await teacher_cookie(_Server, 0))
        code = (await teacher.call("open_session", {"title": "CM2"}))["code"]
        kids = [Client() for _ in range(pupils)]
        for k, kid in enumerate(kids):
            await kid.connect(box.url)
            assert (await kid.call("join", {"code": code, "name": f"Eleve{k}"})).get("pupil_id")
        await asyncio.sleep(10)  # the joins' writes settle (journal: committed once the class is quiet)
        mark()

        async def answer(kid, activity: str) -> None:
            await asyncio.sleep(random.uniform(0, min(within_s, every_s / 2)))
            t0 = time.perf_counter()
            ack = await kid.call("submit", {"activity_id": activity, "submission_id": str(uuid.uuid4()),
                                            "answer": random.randint(1, 99)})
            acks.append(time.perf_counter() - t0)
            assert ack.get("ok"), ack

        end, n = t_start + seconds - 40, 0  # the last 40 s: the class ends (below), within the phase
        while time.monotonic() < end:
            ack = await teacher.call("push", {"type": "quiz", "kind": "number", "question": f"q{n}", "code": code})
            await asyncio.gather(*(answer(kid, ack["activity"]["id"]) for kid in kids),
                                 asyncio.sleep(min(every_s, max(0.0, end - time.monotonic()))))
            n += 1
        await teacher.call("watch", {"code": code})  # the teacher looks at the results: all answers committed
        await asyncio.gather(*(c.sio.disconnect() for c in [teacher, *kids]))
        await asyncio.sleep(5)
        checkpoint(box.env["CLASSBOX_DATA_DIR"])  # what the box's next checkpoint would copy, counted here
        await asyncio.sleep(35)  # dirty pages reach the device (dirty_expire 30 s) within the phase
    return run


def checkpoint(data: str) -> None:
    """Copy the WAL into classbox.db now (PASSIVE, as the box's checkpointer does, later)."""
    import sqlite3

    conn = sqlite3.connect(f"{data}/classbox.db", timeout=10)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        conn.close()


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] if ordered else float("nan")


def show(title: str, result: dict, goal: float) -> None:
    per, total = result["per_process"], result["processes_mb_h"] or 1e-12
    print(f"\n{title}  (load average {' '.join(f'{x:.2f}' for x in result['load'])})")
    for name, mb in sorted(per.items(), key=lambda kv: -kv[1]):
        print(f"  {name:14} {mb:8.3f} MB/h  {100 * mb / total:5.1f} %")
    print(f"  {'processes':14} {result['processes_mb_h']:8.3f} MB/h")
    device = result["device_mb_h"]
    print(f"  {'device':14} " + ("n/a (no loop device)" if device is None else f"{device:8.3f} MB/h")
          + f"   goal <= {goal} MB/h")
    if "jbd2" in result:
        print(f"  ext4 journal (jbd2): {result['jbd2'][0]} commits ({result['jbd2'][1]} counted as requested "
              f"in /proc/fs/jbd2)")
    if "joins_kb" in result:
        print(f"  of which the joins: {result['joins_kb']:.0f} KB; then, answering: "
              f"{result['after_mark_mb_h']:.3f} MB/h; a class of one hour (joins + 1 h of answers): "
              f"{result['joins_kb'] / 1e3 + result['after_mark_mb_h']:.3f} MB")
    if "trace" in result:
        show_trace(result["trace"], result["hours"])
