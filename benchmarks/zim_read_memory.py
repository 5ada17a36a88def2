"""Memory and time of reading a ZIM's entries in one gevent process: libzim alone vs classbox's
off-loop reader (library/zimblobs.py), same ZIM, same order, each in a fresh process.

    .venv/bin/python benchmarks/zim_read_memory.py [--articles 3000] [--clusters-mb 32]
16 greenlets read every article once (cold), then 8,000 random articles (warm), through
zimread.read_entry as the /zim/ fast path does; prints the process's USS growth (psutil).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
from gevent import monkey; monkey.patch_all()
import ctypes, json, random, sys, time
import gevent, psutil
from pathlib import Path
from libzim.reader import Archive
from classbox.library.zim import Book, _raw
from classbox.library.zimread import EntryCache, read_entry
from classbox.library.zimblobs import ClusterCache

ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX 2, as classbox's gevent arbiter sets
path, articles, mode, mb = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
book = Book("b", "b", "u", Archive(path), True, _raw(path))
cache = EntryCache()
clusters = ClusterCache(mb * 1024 * 1024, on_evict=cache.keep_bytes) if mode == "off-loop" else None
proc = psutil.Process()
base = proc.memory_full_info().uss
order = [f"Article_{i}" for i in range(articles)]
random.Random(5).shuffle(order)
rng = random.Random(1)

def read(paths):
    for p in paths:
        assert read_entry(book, p, cache, clusters) is not None

start = time.perf_counter()
gevent.joinall([gevent.spawn(read, order[i::16]) for i in range(16)])
cold = time.perf_counter() - start
start = time.perf_counter()
gevent.joinall([gevent.spawn(read, [rng.choice(order) for _ in range(500)]) for _ in range(16)])
warm = time.perf_counter() - start
print(json.dumps({"cold_s": cold, "warm_s": warm, "uss_mb": (proc.memory_full_info().uss - base) / 1e6,
                  "clusters_mb": clusters.size / 1e6 if clusters else 0, "entries_mb": cache.size / 1e6}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--clusters-mb", type=int, default=32)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from library_zim import make_book

    with tempfile.TemporaryDirectory(prefix="classbox-bench-zimmem-") as work:
        book = Path(work) / "bench.zim"
        make_book(book, args.articles)
        runs = {}
        for mode in ("libzim", "off-loop"):
            out = subprocess.run([sys.executable, "-c", CHILD, str(book), str(args.articles), mode,
                                  str(args.clusters_mb)], capture_output=True, text=True, cwd=ROOT, check=True)
            runs[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"# zim_read_memory — {args.articles}-article ZIM, cluster cache {args.clusters_mb} MB, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| reader | cold s | warm s | USS growth | cluster cache | entry cache |")
    print("|---|---|---|---|---|---|")
    for mode, r in runs.items():
        print(f"| {mode} | {r['cold_s']:.2f} | {r['warm_s']:.2f} | {r['uss_mb']:.1f} MB | {r['clusters_mb']:.1f} MB | "
              f"{r['entries_mb']:.1f} MB |")
    print(f"# USS off-loop / libzim: {runs['off-loop']['uss_mb'] / runs['libzim']['uss_mb']:.2f}")


if __name__ == "__main__":
    main()
