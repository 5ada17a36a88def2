"""The box idle_writes.py measures: a data dir on its own ext4 loop device, and `classbox web` + `classbox agent`
started from a source tree as the units start them, with their write counters."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from tests.helpers import free_port, stop_process_group  # noqa: E402

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
from classbox.sync import records
from classbox.sync.outbox import enqueue
from classbox.web.datadir import prepare_data_dir
db = prepare_data_dir(load_config(path=os.devnull, env={}, overrides={"data_dir": sys.argv[1]}))
try:
    add_user(db, "prof0", "teacher", "bench-password-1")
    with db.conn:  # valid answer records (a bare {"verb": ...} went dead at the first pass, leaving none pending)
        for i in range(20):
            record = records.answered({"id": f"pupil-{i}", "name": f"Eleve{i}"},
                                      {"id": "friday", "code": "VEN123", "title": "CM2", "teacher": "prof0"},
                                      {"id": f"q-{i % 4}", "type": "quiz", "title": "q", "question": "q",
                                       "interaction": "numeric", "correct": ["4[:]4"]}, str(i), i % 2 == 0)
            enqueue(db, "xapi", "lrs", record, f"friday-{i}", f"pupil-{i}")
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


# The processes' uid inside a user namespace (the box's classbox user's, as under User=).
MAPPED = ["unshare", "--map-user=1000", "--map-group=1000"]


def user_namespace_refused() -> str | None:
    """Why a user namespace cannot be made here (a chroot: the kernel refuses them), or None."""
    try:
        tried = subprocess.run([*MAPPED, "true"], capture_output=True, text=True, timeout=30)
    except OSError as error:  # no unshare(1)
        return str(error)
    return (tried.stderr.strip() or f"unshare exited {tried.returncode}") if tried.returncode else None


class Box:
    """`classbox web` and `classbox agent`, as the two units start them."""

    def __init__(self, tree: Path, env: dict[str, str], logs: Path, not_root: bool = False) -> None:
        """`not_root`: the processes see a uid other than 0, as under the units' User=classbox,
        when a user namespace can be made here; else they run as root (`runs_as` says which)."""
        refused = user_namespace_refused() if not_root else None
        self.runs_as = ("root" if not not_root else f"root: no user namespace here ({refused})" if refused
                        else "uid 1000 in a user namespace")
        self.tree, self.not_root = tree, not_root and refused is None
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
                log = (self.logs / "web.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"classbox web did not answer /healthz; its log ends:\n{log}")
            time.sleep(0.02)
        self.healthz_s = time.perf_counter() - t0

    def _spawn(self, args: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{args[0]}.log", "ab")
        command = tree_command(self.tree, "sys.argv[0] = 'classbox'; runpy.run_module('classbox', "
                               "run_name='__main__', alter_sys=True)", *args)
        if self.not_root:  # a user namespace: uid 1000 inside, still the files' owner outside
            command = [*MAPPED, *command]
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
