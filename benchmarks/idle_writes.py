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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from tests.helpers import free_port, stop_process_group  # noqa: E402
from write_trace import Tracer  # noqa: E402
from write_trace import show as show_trace  # noqa: E402

SECTOR = 512


@contextlib.contextmanager
def data_filesystem(tmp: Path, use_loop: bool, mount_options: str = "", block_size: int = 4096):
    """A data dir on its own loop device (yields the folder and the device name, or None).

    `block_size`: ext4's block size; 4096 as on a box's SD card (mke2fs would pick 1024 for this
    256 MB image, its "small" type, where a 1.9 KB journal record costs 2 blocks instead of 4 KB)."""
    folder = tmp / "mnt"
    folder.mkdir()
    if not use_loop or os.geteuid() != 0:
        yield folder, None
        return
    image = tmp / "data.img"
    subprocess.run(["truncate", "-s", "256M", str(image)], check=True)
    device = subprocess.run(["losetup", "-f", "--show", str(image)], check=True, capture_output=True,
                            text=True).stdout.strip()
    try:
        subprocess.run(["mkfs.ext4", "-q", "-b", str(block_size), "-E", "lazy_itable_init=0,lazy_journal_init=0", device], check=True)
        subprocess.run(["mount", *(["-o", mount_options] if mount_options else []), device, str(folder)],
                       check=True)
        try:
            yield folder, Path(device).name
        finally:
            if subprocess.run(["umount", str(folder)], check=False).returncode:
                subprocess.run(["umount", "-l", str(folder)], check=False)
    finally:
        subprocess.run(["losetup", "-d", device], check=False)


def device_written(device: str | None) -> int | None:
    """Bytes the kernel wrote to the device so far."""
    if device is None:
        return None
    fields = Path(f"/sys/block/{device}/stat").read_text().split()
    return int(fields[6]) * SECTOR


# Runs classbox from a given source tree: drops the editable install's finder, puts the tree first.
BOOT = ("import sys, runpy; tree = sys.argv.pop(1); "
        "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]; "
        "sys.path.insert(0, tree); sys.path.insert(1, tree + '/benchmarks'); ")


def tree_command(tree: Path, code: str, *args: str) -> list[str]:
    """A python command line running `code` against the classbox of `tree`."""
    return [sys.executable, "-c", BOOT + code, str(tree), *args]


PREPARE = """
import os, sys
from classbox.auth.users import add_user
from classbox.config import load_config
from classbox.sync.outbox import enqueue
try:
    from classbox.web.datadir import prepare_data_dir
except ImportError:  # a tree from before the package reorganisation (a baseline)
    from classbox.web.datadir import prepare_data_dir
db = prepare_data_dir(load_config(path=os.devnull, env={}, overrides={"data_dir": sys.argv[1]}))
try:
    add_user(db, "prof0", "teacher", "bench-password-1")
    with db.conn:
        for i in range(20):
            enqueue(db, "xapi", "lrs", {"verb": "answered", "n": i}, f"friday-{i}", f"pupil-{i}")
finally:
    db.conn.close()
from classbox.config import SCHEMA
print("runtime_dir" in SCHEMA[""])
"""


def prepare(tree: Path, data: Path, runtime: Path) -> dict[str, str]:
    """A box's data dir with a teacher, Friday's pending statements; the env for both processes."""
    knows_runtime = subprocess.run(tree_command(tree, PREPARE, str(data)), check=True, capture_output=True,
                                   text=True).stdout.strip() == "True"
    secret = data.parent / "lrs.secret"
    secret.write_text("secret\n")
    closed = free_port()  # nothing listens: connection refused, as with the uplink down
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update({"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_DATA_DIR": str(data),
                "CLASSBOX_SYNC_XAPI_ENDPOINT": f"http://127.0.0.1:{closed}/xapi/",
                "CLASSBOX_SYNC_XAPI_USERNAME": "box", "CLASSBOX_SYNC_XAPI_PASSWORD_FILE": str(secret),
                "CLASSBOX_FLEET_PUSHGATEWAY": f"http://127.0.0.1:{closed}",
                "CLASSBOX_DISCOVERY_ENABLED": "false", "PYTHONDONTWRITEBYTECODE": "1"})
    if knows_runtime:  # as the units' RuntimeDirectory= (a tmpfs); older trees have no such key
        env["CLASSBOX_RUNTIME_DIR"] = str(runtime)
    return env


class Box:
    """`classbox web` and `classbox agent`, as the two units start them."""

    def __init__(self, tree: Path, env: dict[str, str], logs: Path, not_root: bool = False) -> None:
        """`not_root`: the processes see a uid other than 0, as under the units' User=classbox."""
        self.tree, self.not_root = tree, not_root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.env, self.logs = env, logs
        self.healthz_s = float("nan")

    def start(self) -> None:
        t0 = time.perf_counter()
        self.procs["web"] = self._spawn(["web", "--host", "127.0.0.1", "--port", str(self.port)])
        self.procs["agent"] = self._spawn(["agent"])
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            if self.procs["web"].poll() is not None or time.perf_counter() - t0 > 60:
                raise RuntimeError("classbox web did not answer /healthz")
            time.sleep(0.02)
        self.healthz_s = time.perf_counter() - t0

    def _spawn(self, args: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{args[0]}.log", "ab")
        command = tree_command(self.tree, "sys.argv[0] = 'classbox'; runpy.run_module('classbox', "
                               "run_name='__main__', alter_sys=True)", *args)
        if self.not_root:  # a user namespace: uid 1000 inside, still the files' owner outside
            command = ["unshare", "--map-user=1000", "--map-group=1000", *command]
        return subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=self.logs)

    def processes(self) -> dict[str, psutil.Process]:
        """Every classbox process by a readable name (gunicorn's worker is 'web worker')."""
        found = {}
        for name, proc in self.procs.items():
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(proc.pid)
                found[name] = root
                for i, child in enumerate(root.children(recursive=True)):
                    found[f"{name} worker" if i == 0 else f"{name} child {i}"] = child
        return found

    def written(self) -> dict[str, int]:
        """write_bytes of /proc/<pid>/io per process."""
        out = {}
        for name, proc in self.processes().items():
            with contextlib.suppress(psutil.Error):
                out[name] = proc.io_counters().write_bytes
        return out

    def rss_mb(self) -> dict[str, float]:
        """RSS of web (arbiter + worker) and agent."""
        out: dict[str, float] = {}
        for name, proc in self.processes().items():
            with contextlib.suppress(psutil.Error):
                key = name.split()[0]
                out[key] = out.get(key, 0.0) + proc.memory_info().rss / 2**20
        return out

    def stop(self) -> None:
        for proc in self.procs.values():
            stop_process_group(proc)


def jbd2_commits(device: str | None) -> tuple[int, int] | None:
    """(commits, of which "requested") of the data dir's ext4 journal so far (/proc/fs/jbd2/<dev>-8/info)."""
    info = Path(f"/proc/fs/jbd2/{device}-8/info")
    if device is None or not info.exists():
        return None
    words = info.read_text().split()  # "N transactions (M requested), each up to ..."
    return int(words[0]), int(words[2].lstrip("("))


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
