"""Uploading a large pack from /admin through the real server: the worker's memory, and the time.

    .venv/bin/python benchmarks/library_upload.py [--mb 300] [--rounds 3]

Goal (issue #14, point 4): the gunicorn worker's RSS stays flat while a pack of hundreds of MB is
uploaded (the body streams to a file of the data dir, never into memory). Printed: the worker's
RSS before, its peak (VmHWM and 20 ms samples) and after, per round; the upload's wall time
(send + import) against the baseline of the same run: importing the same file from the disk
(`classbox library import`, which the upload ends with).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from library_common import ROOT, classbox_web, stop  # noqa: E402

sys.path.insert(0, str(ROOT))
MB = 1024 * 1024


def make_pack(path: Path, mb: int) -> None:
    """A stored zip pack with one incompressible `mb` MB video."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("classbox-pack.json", '{"format": "classbox-pack/1", "id": "films", "version": "1",'
                    ' "title": "Films", "language": "fr", "publisher": "bench", "license": "CC0-1.0",'
                    ' "resources": [{"path": "film.webm", "title": "Film", "kind": "video"}]}')
        with zf.open("film.webm", "w", force_zip64=True) as member:
            for _ in range(mb):
                member.write(os.urandom(MB))


def fresh_data(data: Path) -> None:
    from classbox.auth.users import add_user
    from classbox.config import load_config
    from classbox.web.datadir import prepare_data_dir

    shutil.rmtree(data, ignore_errors=True)
    db = prepare_data_dir(load_config(path=os.devnull, env={}, overrides={"data_dir": data}))
    add_user(db, "bench", "admin", "bench-pass-123")
    db.conn.close()


def rss_status(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            fields[line.split(":")[0]] = int(line.split()[1]) * 1024
    return fields


def upload_round(work: Path, pack: Path) -> dict:
    """One upload into a fresh server: RSS figures and the wall time."""
    data = work / "data"
    fresh_data(data)
    proc, url = classbox_web(data, work / "web.log", behind_nginx=False)
    try:
        worker = psutil.Process(proc.pid).children()[0]
        with httpx.Client(base_url=url, timeout=600) as http:
            token = http.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
            http.post("/login", data={"login": "bench", "password": "bench-pass-123", "csrf_token": token})
            token = http.get("/admin").text.split('data-csrf="')[1].split('"')[0]
            before = rss_status(worker.pid)
            samples: list[int] = []
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.02):
                    samples.append(worker.memory_info().rss)
            sampler = threading.Thread(target=sample)
            sampler.start()

            def body():
                with open(pack, "rb") as handle:
                    while block := handle.read(MB):
                        yield block
            t0 = time.perf_counter()
            response = http.post("/admin/library/upload", params={"name": pack.name}, content=body(),
                                 headers={"X-CSRFToken": token, "Content-Type": "application/octet-stream",
                                          "Content-Length": str(pack.stat().st_size), "Accept": "application/json"})
            wall = time.perf_counter() - t0
            done.set()
            sampler.join()
            assert response.status_code == 200 and response.json()["ok"], response.text
            after = rss_status(worker.pid)
        return {"wall": wall, "rss_before": before["VmRSS"], "hwm_before": before["VmHWM"],
                "hwm_after": after["VmHWM"], "sampled_peak": max(samples, default=0), "rss_after": after["VmRSS"]}
    finally:
        stop(proc)


def import_round(work: Path, pack: Path) -> float:
    """Seconds to import the same file from the disk (the baseline)."""
    from classbox.config import load_config
    from classbox.library import import_path

    data = work / "data"
    fresh_data(data)
    config = load_config(path=os.devnull, env={}, overrides={"data_dir": data, "library.min_free_mb": 1})
    t0 = time.perf_counter()
    import_path(config, pack)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="classbox-bench-upload-"))
    try:
        pack = work / "films.zip"
        make_pack(pack, args.mb)
        size = pack.stat().st_size
        print(f"# library_upload {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — one {size / MB:.0f} MiB pack, "
              f"gunicorn gevent worker, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print("| round | worker RSS before | peak RSS (VmHWM) | peak sampled | RSS after | growth / pack size "
              "| upload + import | import from disk | ratio import / upload |")
        print("|---|---|---|---|---|---|---|---|---|")
        for n in range(args.rounds):
            up = upload_round(work, pack)
            base = import_round(work, pack)
            growth = up["hwm_after"] - up["rss_before"]
            print(f"| {n + 1} | {up['rss_before'] / MB:.0f} MB | {up['hwm_after'] / MB:.0f} MB | "
                  f"{up['sampled_peak'] / MB:.0f} MB | {up['rss_after'] / MB:.0f} MB | "
                  f"{growth / MB:.1f} MB / {size / MB:.0f} MB ({growth / size:.1%}) | {up['wall']:.2f} s "
                  f"({size / MB / up['wall']:.0f} MB/s) | {base:.2f} s | {base / up['wall']:.2f} |", flush=True)
        print(f"# load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
