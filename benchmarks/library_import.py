"""Importing a large pack vs `cp` of the same bytes (then `sync`, since the import fsyncs).

    .venv/bin/python benchmarks/library_import.py [--mb 1024] [--files 8] [--forms folder,stored,deflated]
                                                  [--rounds 1]
Goal (issue #3): import ≥ 0.5 × the speed of cp. The import reads, hashes (sha256), writes,
fsyncs and renames every file, then commits the catalogue; cp only copies (into the page
cache: the disk writes happen after it returns), so `cp + sync` is printed too.
Forms: a folder pack, a zip with stored members, a zip with deflated members (level 1; the
content is incompressible, like video). The baseline copies the same bytes: the folder, or the
zip file. Each round measures cp, cp + sync and the import, in that order, page cache warm.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_folder(pack: Path, mb: int, files: int) -> None:
    """A folder pack of `files` files, `mb` MB in all, distinct content per MB."""
    pack.mkdir()
    block = os.urandom(1024 * 1024)
    resources = []
    for i in range(files):
        with open(pack / f"video-{i}.mp4", "wb") as handle:
            for j in range(mb // files):
                handle.write(block[j % 7:] + block[: j % 7])
                handle.write(i.to_bytes(8, "big"))
        resources.append(f'{{"path": "video-{i}.mp4", "title": "Vidéo {i}"}}')
    (pack / "classbox-pack.json").write_text(
        '{"format": "classbox-pack/1", "id": "gros", "version": "1", "title": "Gros paquet", "language": "fr",'
        f' "publisher": "bench", "license": "CC0-1.0", "resources": [{", ".join(resources)}]}}')


def make_zip(folder: Path, target: Path, method: int) -> None:
    """The folder pack as a zip file (stored or deflated)."""
    with zipfile.ZipFile(target, "w", method, compresslevel=1 if method == zipfile.ZIP_DEFLATED else None) as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, path.name)


def timed_cp(source: Path, work: Path) -> tuple[float, float]:
    """Seconds for `cp -r`, and for `cp -r` then `sync -f` of the copy."""
    subprocess.run(["sync"], check=True)
    t0 = time.perf_counter()
    subprocess.run(["cp", "-r", str(source), str(work / "copy")], check=True)
    cp_s = time.perf_counter() - t0
    subprocess.run(["sync", "-f", str(work / "copy")], check=True)
    both = time.perf_counter() - t0
    shutil.rmtree(work / "copy") if (work / "copy").is_dir() else (work / "copy").unlink()
    return cp_s, both


def timed_import(source: Path, data: Path) -> tuple[float, float]:
    """Wall and CPU seconds (all threads) of `classbox library import` into a fresh data dir."""
    from classbox.config import load_config
    from classbox.library import import_path
    from classbox.web.datadir import prepare_data_dir

    config = load_config(path=os.devnull, env={}, overrides={"data_dir": data, "library.min_free_mb": 1})
    prepare_data_dir(config).conn.close()
    subprocess.run(["sync"], check=True)
    t0, c0 = time.perf_counter(), time.process_time()
    result = import_path(config, source)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert result.status == "added", result
    shutil.rmtree(data)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--forms", default="folder,stored,deflated")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="classbox-bench-import-"))
    try:
        folder = work / "pack"
        make_folder(folder, args.mb, args.files)
        sources = {"folder": folder}
        forms = args.forms.split(",")
        if "stored" in forms:
            make_zip(folder, work / "stored.zip", zipfile.ZIP_STORED)
            sources["stored"] = work / "stored.zip"
        if "deflated" in forms:
            make_zip(folder, work / "deflated.zip", zipfile.ZIP_DEFLATED)
            sources["deflated"] = work / "deflated.zip"
        if "folder" not in forms:
            shutil.rmtree(folder)
        print(f"# library_import {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — {args.files} files, "
              f"{args.mb} MiB, same filesystem, 2-core shared machine, load average {os.getloadavg()[0]:.1f}")
        print("| pack | cp -r | cp -r + sync | import (wall / CPU) | ratio cp / import | ratio (cp + sync) / import "
              "| goal |")
        print("|---|---|---|---|---|---|---|")
        for _round in range(args.rounds):
            for form in forms:
                source = sources[form]
                mb = sum(p.stat().st_size for p in source.rglob("*") if p.is_file()) / 1e6 \
                    if source.is_dir() else source.stat().st_size / 1e6
                cp_s, cp_sync_s = timed_cp(source, work)
                wall, cpu = timed_import(source, work / "data")
                print(f"| {form} ({mb:.0f} MB) | {cp_s:.2f} s | {cp_sync_s:.2f} s | {wall:.2f} s "
                      f"({mb / wall:.0f} MB/s) / {cpu:.2f} s | {cp_s / wall:.2f} | {cp_sync_s / wall:.2f} | ≥ 0.5 |",
                      flush=True)
        print(f"# load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
