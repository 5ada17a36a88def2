"""Importing a large pack vs `cp` of the same bytes (then `sync`, since the import fsyncs).

    .venv/bin/python benchmarks/library_import.py [--mb 1024] [--files 8] [--forms folder,stored,deflated]
                                                  [--rounds 1] [--with-sha256] [--copies 2] [--direct [--writers 2]]
Goal: import ≥ 0.9 × the speed of `cp + sync`, the same
bytes made as durable (the import fsyncs every file before the catalogue points at it; bare cp
returns while its bytes sit in the page cache — printed too). The import reads, hashes (sha256),
writes, fsyncs and renames every file, then commits the catalogue. CPU seconds are printed for
both (the children's for cp + sync): on a loaded machine they decide the wall times. The last
lines give each form's median ratio over the rounds.
Forms: a folder pack, a zip with stored members, a zip with deflated members (level 1; the
content is incompressible, like video). The baseline copies the pack as the user has it: the
folder, or the zip file. For the deflated zip that is `cp` of the zip's bytes (as many as the
files', the content being incompressible) with nothing inflated: the import must inflate and hash
them too, CPU `cp` never spends. Page cache warm. Each round measures `cp + sync` and the import
of each form; odd rounds run the import first, so that neither side always follows the other's
disk writes (the disk of a VM goes on writing after a sync returns).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_folder(pack: Path, mb: int, files: int, with_sha256: bool = False) -> None:
    """A folder pack of `files` files, `mb` MB in all, distinct content per MB (the manifest gives
    each file's sha256 with `with_sha256`)."""
    pack.mkdir()
    block = os.urandom(1024 * 1024)
    resources = []
    for i in range(files):
        digest = hashlib.sha256()
        with open(pack / f"video-{i}.mp4", "wb") as handle:
            for j in range(mb // files):
                for piece in (block[j % 7:] + block[: j % 7], i.to_bytes(8, "big")):
                    handle.write(piece)
                    digest.update(piece)
        sha = f', "sha256": "{digest.hexdigest()}"' if with_sha256 else ""
        resources.append(f'{{"path": "video-{i}.mp4", "title": "Vidéo {i}"{sha}}}')
    (pack / "classbox-pack.json").write_text(
        '{"format": "classbox-pack/1", "id": "gros", "version": "1", "title": "Gros paquet", "language": "fr",'
        f' "publisher": "bench", "license": "CC0-1.0", "resources": [{", ".join(resources)}]}}')


def make_zip(folder: Path, target: Path, method: int) -> None:
    """The folder pack as a zip file (stored or deflated)."""
    with zipfile.ZipFile(target, "w", method, compresslevel=1 if method == zipfile.ZIP_DEFLATED else None) as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, path.name)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_cp(source: Path, work: Path) -> tuple[float, float, float]:
    """Seconds for `cp -r`, for `cp -r` then `sync -f` of the copy, and their CPU seconds."""
    subprocess.run(["sync"], check=True)
    c0 = children_cpu()
    t0 = time.perf_counter()
    subprocess.run(["cp", "-r", str(source), str(work / "copy")], check=True)
    cp_s = time.perf_counter() - t0
    subprocess.run(["sync", "-f", str(work / "copy")], check=True)
    both = time.perf_counter() - t0
    cpu = children_cpu() - c0
    shutil.rmtree(work / "copy") if (work / "copy").is_dir() else (work / "copy").unlink()
    return cp_s, both, cpu


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
    parser.add_argument("--with-sha256", action="store_true",
                        help="the manifest gives each file's sha256 (then the zip's CRC-32 is not computed)")
    parser.add_argument("--no-kernel-copy", action="store_true",
                        help="copy through Python buffers (copier.py) as before copy_file_range, to compare")
    parser.add_argument("--copies", type=int, default=None,
                        help="files copied at once (default: classbox's, 2; 1 as before), to compare")
    parser.add_argument("--direct", action="store_true",
                        help="write zip members with O_DIRECT (packs.DIRECT_WRITES), to compare")
    parser.add_argument("--writers", type=int, default=None,
                        help="with --direct: writes in flight per file (default: classbox's, 2), to compare")
    args = parser.parse_args()
    if args.writers:
        from classbox.library import pipeline

        pipeline.WRITERS = args.writers
    if args.copies:
        from classbox.library import sidebyside

        sidebyside.WORKERS = args.copies
    if args.direct:
        from classbox.library import packs as pack_import

        pack_import.DIRECT_WRITES = True
    if args.no_kernel_copy:
        from classbox.library import packs

        packs.copy_range_hashed = lambda *unused, **options: None

    work = Path(tempfile.mkdtemp(prefix="classbox-bench-import-"))
    try:
        folder = work / "pack"
        make_folder(folder, args.mb, args.files, args.with_sha256)
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
              f"{args.mb} MiB, same filesystem, 2-core shared machine, load average {os.getloadavg()[0]:.1f}"
              f"{', kernel copy off' if args.no_kernel_copy else ''}{', zip members with O_DIRECT' if args.direct else ''}{', sha256 in the manifest' if args.with_sha256 else ''}"
              f"{f', {args.writers} direct writes in flight' if args.writers else ''}"
              f"{f', {args.copies} files copied at once' if args.copies else ''}")
        print("| pack | cp -r | cp -r + sync (wall / CPU) | import (wall / CPU) | ratio cp / import "
              "| ratio (cp + sync) / import | goal ≥ 0.9 |")
        print("|---|---|---|---|---|---|---|")
        ratios: dict[str, list[float]] = {form: [] for form in forms}
        for _round in range(args.rounds):
            for form in forms:
                source = sources[form]
                mb = sum(p.stat().st_size for p in source.rglob("*") if p.is_file()) / 1e6 \
                    if source.is_dir() else source.stat().st_size / 1e6
                if _round % 2:
                    wall, cpu = timed_import(source, work / "data")
                    cp_s, cp_sync_s, cp_cpu = timed_cp(source, work)
                else:
                    cp_s, cp_sync_s, cp_cpu = timed_cp(source, work)
                    wall, cpu = timed_import(source, work / "data")
                ratios[form].append(cp_sync_s / wall)
                print(f"| {form} ({mb:.0f} MB) | {cp_s:.2f} s | {cp_sync_s:.2f} s / {cp_cpu:.2f} s | {wall:.2f} s "
                      f"({mb / wall:.0f} MB/s) / {cpu:.2f} s | {cp_s / wall:.2f} | {cp_sync_s / wall:.2f} "
                      f"| {'✔' if cp_sync_s / wall >= 0.9 else '✘'} |", flush=True)
        for form, values in ratios.items():
            print(f"# {form}: median (cp + sync) / import {statistics.median(values):.2f} over {len(values)} rounds "
                  f"(min {min(values):.2f}, max {max(values):.2f})")
        print(f"# load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
