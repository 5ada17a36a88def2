"""Importing a large pack vs `cp` of the same bytes (then `sync`, since the import fsyncs).

    .venv/bin/python benchmarks/library_import.py [--mb 1024] [--files 8]
Goal (issue #3): import ≥ 0.5 × the speed of cp. The import reads, hashes (sha256), writes,
fsyncs and renames every file, then commits the catalogue; cp only copies.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=8)
    args = parser.parse_args()

    from classbox.config import load_config
    from classbox.library import import_path
    from classbox.setup import prepare_data_dir

    work = Path(tempfile.mkdtemp(prefix="classbox-bench-import-"))
    try:
        pack = work / "pack"
        pack.mkdir()
        per_file = args.mb // args.files
        block = os.urandom(1024 * 1024)
        resources = []
        for i in range(args.files):
            with open(pack / f"video-{i}.mp4", "wb") as handle:
                for j in range(per_file):
                    handle.write(block[j % 7:] + block[: j % 7])  # distinct content per MB, cheap to make
                    handle.write(i.to_bytes(8, "big"))
            resources.append(f'{{"path": "video-{i}.mp4", "title": "Vidéo {i}"}}')
        (pack / "classbox-pack.json").write_text(
            '{"format": "classbox-pack/1", "id": "gros", "version": "1", "title": "Gros paquet", "language": "fr",'
            f' "publisher": "bench", "license": "CC0-1.0", "resources": [{", ".join(resources)}]}}')
        total = sum(p.stat().st_size for p in pack.iterdir())
        subprocess.run(["sync"], check=True)
        # Baseline: cp of the same bytes (page cache warm for both: the source was just written).
        t0 = time.perf_counter()
        subprocess.run(["cp", "-r", str(pack), str(work / "copy")], check=True)
        cp_s = time.perf_counter() - t0
        subprocess.run(["sync", "-f", str(work / "copy")], check=True)
        cp_sync_s = time.perf_counter() - t0
        shutil.rmtree(work / "copy")
        subprocess.run(["sync"], check=True)
        config = load_config(path=os.devnull, env={}, overrides={"data_dir": work / "data", "library.min_free_mb": 1})
        prepare_data_dir(config).conn.close()
        t0 = time.perf_counter()
        result = import_path(config, pack)
        import_s = time.perf_counter() - t0
        assert result.resources == args.files
        mb = total / 1e6
        print(f"# library_import {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — folder pack of {args.files} "
              f"files, {mb:.0f} MB, same filesystem, 2-core shared machine")
        print("| what | time | throughput | ratio (cp time / this time) | goal |")
        print("|---|---|---|---|---|")
        print(f"| cp -r | {cp_s:.2f} s | {mb / cp_s:.0f} MB/s | 1 | — |")
        print(f"| cp -r + sync | {cp_sync_s:.2f} s | {mb / cp_sync_s:.0f} MB/s | {cp_s / cp_sync_s:.2f} | — |")
        print(f"| classbox library import (hash + fsync + catalogue) | {import_s:.2f} s | {mb / import_s:.0f} MB/s | "
              f"{cp_s / import_s:.2f} vs cp, {cp_sync_s / import_s:.2f} vs cp + sync | ≥ 0.5 |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
