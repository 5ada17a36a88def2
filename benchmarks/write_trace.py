"""Who writes what: strace the write syscalls of running processes, sum them per file and per table.

Used by idle_writes.py --trace. One `strace -f -y -p PID` per process (all its threads) records
write/pwrite64/pwritev and fsync/fdatasync with each descriptor's path. SQLite writes a WAL frame
as two pwrite64 calls, its 24-byte header (page number first, then the database size, non-zero
on a commit's last frame) and the page; the header's page number, looked up in `dbstat` at the
end, names the table or index the page belongs to. Pages written through a shared mapping (the
WAL's `-shm` index) make no syscall: they are in the processes' write_bytes and on the device,
not here.
"""

from __future__ import annotations

import collections
import re
import signal
import sqlite3
import subprocess
from pathlib import Path

SYSCALLS = "write,pwrite64,pwritev,pwritev2,writev,fsync,fdatasync"
LINE = re.compile(r'^(?P<pid>\d+)\s+(?P<call>\w+)\((?P<fd>\d+)<(?P<path>[^>]*)>(?P<rest>.*)\)\s+=\s+(?P<ret>-?\d+)')
HEADER = re.compile(r'^, "(?P<hex>(?:\\x[0-9a-f]{2}){24})", 24, (?P<offset>\d+)$')


class Tracer:
    """strace attached to a set of processes for one phase."""

    def __init__(self, pids: dict[str, int], out: Path) -> None:
        self.files = {name: out / f"strace-{name.replace(' ', '-')}.txt" for name in pids}
        self.procs = {
            name: subprocess.Popen(["strace", "-f", "-qq", "-y", "-xx", "-s", "24", "-e", f"trace={SYSCALLS}",
                                    "-e", "signal=none", "-o", str(self.files[name]), "-p", str(pid)],
                                   stderr=subprocess.DEVNULL)
            for name, pid in pids.items()}

    def stop(self) -> None:
        """Detach (SIGINT: strace detaches cleanly and flushes its output)."""
        for proc in self.procs.values():
            proc.send_signal(signal.SIGINT)
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def summary(self, data_dir: Path) -> dict:
        """Bytes, writes and fsyncs per (process, file); WAL pages and commits per (process, btree)."""
        files: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0, 0])
        pages: dict[tuple[str, int], int] = collections.Counter()
        commits: dict[str, int] = collections.Counter()
        for name, path in self.files.items():
            if not path.exists():
                continue
            for line in path.read_text(errors="replace").splitlines():
                m = LINE.match(line)
                if not m:
                    continue
                target = _unhex(m["path"])
                if not target.startswith("/") or target.startswith("/dev/"):
                    continue
                entry = files[(name, _short(target, data_dir))]
                if m["call"] in ("fsync", "fdatasync"):
                    entry[2] += 1
                    continue
                ret = int(m["ret"])
                if ret > 0:
                    entry[0] += ret
                    entry[1] += 1
                if target.endswith("-wal") and m["call"] == "pwrite64":
                    h = HEADER.match(m["rest"])
                    if h:
                        raw = bytes.fromhex(h["hex"].replace("\\x", ""))
                        if int(h["offset"]) > 0:
                            pages[(name, int.from_bytes(raw[:4], "big"))] += 1
                            commits[name] += int.from_bytes(raw[4:8], "big") > 0
        btree = _page_owners(data_dir / "classbox.db")
        by_tree: dict[tuple[str, str], int] = collections.Counter()
        for (name, page), n in pages.items():
            by_tree[(name, btree.get(page, "(free or new)"))] += n
        return {"files": dict(files), "wal_pages": dict(by_tree), "commits": dict(commits)}


def _unhex(text: str) -> str:
    """strace -xx writes paths as \\xNN escapes."""
    return bytes.fromhex(text.replace("\\x", "")).decode(errors="replace") if text.startswith("\\x") else text


def _short(path: str, data_dir: Path) -> str:
    data = str(data_dir)
    return "<data>" + path[len(data):] if path.startswith(data) else "(elsewhere) " + path


def _page_owners(db: Path) -> dict[int, str]:
    """Page number -> the table or index it belongs to (SQLite's dbstat)."""
    if not db.exists():
        return {}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return {page: name for name, page in conn.execute("SELECT name, pageno FROM dbstat")}
    except sqlite3.Error:
        return {}
    finally:
        conn.close()


def show(summary: dict, hours: float) -> None:
    """Print the per-file and per-btree shares (MB/h, % of the traced bytes)."""
    files = summary["files"]
    total = sum(v[0] for v in files.values()) or 1
    print("  written by syscalls, per process and file (MB/h, share, writes, fsyncs):")
    for (name, path), (size, writes, syncs) in sorted(files.items(), key=lambda kv: -kv[1][0]):
        if size or syncs:
            print(f"    {name:12} {path:42} {size / hours / 1e6:8.3f} MB/h {100 * size / total:5.1f} %"
                  f" {writes:7} w {syncs:6} fsync")
    pages = summary["wal_pages"]
    if pages:
        all_pages = sum(pages.values())
        print(f"  WAL frames per process and btree (commits: "
              + ", ".join(f"{k} {v}" for k, v in summary["commits"].items()) + "):")
        for (name, tree), n in sorted(pages.items(), key=lambda kv: -kv[1]):
            print(f"    {name:12} {tree:42} {n:6} frames {100 * n / all_pages:5.1f} %")
