"""Writes to the SD card: `classbox web` + `classbox agent` idle, then during a class of 30.

    sudo .venv/bin/python benchmarks/idle_writes.py [--idle-min 10] [--class-min 6] [--pupils 30]

The data dir is an ext4 file system on a loop device made here (root needed; else a plain temp
folder and no device figure). The loop device carries only the data dir, so its own counter
(/sys/block/loopN/stat, sectors written) is every byte the kernel wrote for classbox: the
processes' page writes *and* what no process is charged for (the ext4 journal written by jbd2,
inode and bitmap updates). /proc/<pid>/io write_bytes of each classbox process says who dirtied
those pages. The sync target (xAPI) and the Pushgateway are closed ports: the realistic weekend,
with 20 statements left pending from Friday. The runtime folder (CLASSBOX_RUNTIME_DIR) is on
/dev/shm, as the units' RuntimeDirectory= puts it on /run's tmpfs. Also printed: time from starting `classbox web` to
its first answered /healthz, and the RSS of web and agent at idle.

--trace adds each writer's share per file and per table (write_trace.py: strace of the write
syscalls). SIGTERM, SIGHUP and Ctrl-C stop the run cleanly: the box's processes, the temporary
folders, the mount and the loop device go (tests/storage/test_idle_writes_bench.py).
The box (loop device, processes) is in idle_box.py, the measures and the printed figures in idle_measure.py.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from idle_box import Box, data_filesystem, prepare  # noqa: E402
from idle_measure import measure, percentile, scripted_class, show  # noqa: E402


def _stop_on_signal(signum: int, _frame) -> None:
    """SIGTERM/SIGHUP end the run as Ctrl-C does: the box, the folders and the loop device go."""
    for other in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(other, signal.SIG_IGN)  # a second signal must not cut the clean-up short
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-min", type=float, default=10.0)
    parser.add_argument("--class-min", type=float, default=6.0)
    parser.add_argument("--pupils", type=int, default=30)
    parser.add_argument("--quiz-every-s", type=float, nargs="+", default=[30.0, 120.0],
                        help="one class phase per pace: a question every N s")
    parser.add_argument("--answer-within-s", type=float, default=10.0,
                        help="each pupil answers at a random moment within this many seconds of the question")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="extra environment for both processes, e.g. CLASSBOX_CLASSROOM_COMMIT_GATHER_MS=0")
    parser.add_argument("--warmup-s", type=float, default=90.0, help="start-up writes left out")
    parser.add_argument("--no-loop", action="store_true", help="no loop device (not root)")
    parser.add_argument("--mount-options", default="",
                        help="the data dir's mount options, e.g. noatime,lazytime (the box's fstab)")
    parser.add_argument("--block-size", type=int, default=4096,
                        help="the data dir's ext4 block size (4096 as on the SD card; 1024 was mke2fs's pick before)")
    parser.add_argument("--as-root", action="store_true",
                        help="let the box run as root (before 2026-12-07 15:40): SQLite run by root fchowns its "
                             "-wal at every connection, an inode change and so an ext4 journal commit; the units "
                             "run as User=classbox, so by default the box sees uid 1000 (a user namespace)")
    parser.add_argument("--trace", action="store_true",
                        help="strace the processes' writes: shares per file, WAL frames per table (slower)")
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="run classbox from this source tree (e.g. `git archive` of the baseline commit)")
    args = parser.parse_args()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    signal.signal(signal.SIGINT, lambda signum, frame: _stop_on_signal(signum, frame))
    with tempfile.TemporaryDirectory(prefix="classbox-idle-") as tmp, \
            tempfile.TemporaryDirectory(prefix="classbox-run-", dir="/dev/shm") as runtime, \
            data_filesystem(Path(tmp), not args.no_loop, args.mount_options,
                            args.block_size) as (folder, device):
        env = prepare(args.tree.resolve(), folder / "data", Path(runtime))
        env.update(dict(item.split("=", 1) for item in args.set))
        box = Box(args.tree.resolve(), env, Path(tmp), not_root=os.geteuid() == 0 and not args.as_root)
        try:
            box.start()
            print(f"folders: {tmp} {runtime}")
            print(f"the box runs as {box.runs_as}")
            print(f"web start -> first /healthz: {box.healthz_s:.2f} s; data dir device: {device}", flush=True)
            time.sleep(args.warmup_s)
            print("RSS at idle (MB): " + ", ".join(f"{k} {v:.1f}" for k, v in box.rss_mb().items()))
            if args.idle_min > 0:
                show(f"idle, {args.idle_min:g} min",
                     measure(box, device, args.idle_min * 60, trace=Path(tmp) if args.trace else None), 1.0)
            for every_s in args.quiz_every_s if args.class_min > 0 else []:
                acks: list[float] = []
                result = measure(box, device, args.class_min * 60,
                                 scripted_class(box, args.pupils, every_s, args.answer_within_s, acks),
                                 trace=Path(tmp) if args.trace else None)
                show(f"class of {args.pupils}, a question every {every_s:g} s, answers within "
                     f"{args.answer_within_s:g} s, {args.class_min:g} min", result, 5.0)
                print(f"  answers {len(acks)}, ack p50 {1000 * percentile(acks, 50):.0f} ms, "
                      f"p99 {1000 * percentile(acks, 99):.0f} ms, max {1000 * max(acks, default=0):.0f} ms")
        finally:
            box.stop()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as stopped:
        print(f"stopped ({stopped or 'Ctrl-C'}); box, folders and loop device cleaned up", file=sys.stderr)
        sys.exit(130)
