"""The arbiter imports the web code before forking (shared pages) but opens nothing the workers use."""

from __future__ import annotations

import json
import subprocess
import sys

import psutil

from tests.helpers import wait_until
from tests.runtime.test_workers_redis import data_dir, place, two_workers  # noqa: F401  (fixtures)

PROBE = """
import json, sys
from classbox.runtime.server import preload_modules
preload_modules(sys.argv[1])
from gevent import monkey
try:
    import aiohttp
    aiohttp_loaded = True
except ImportError:
    aiohttp_loaded = False
import psutil
print(json.dumps({"modules": sorted(m for m in sys.modules if m.startswith(("flask", "socketio", "classbox"))),
                  "patched": monkey.is_module_patched("socket"), "aiohttp": aiohttp_loaded,
                  "files": [f.path for f in psutil.Process().open_files()], "threads": psutil.Process().num_threads()}))
"""


WORKER_PROBE = """
import json, sys
from classbox.runtime.server import preload_modules
preload_modules("gevent")
from classbox import create_app
app = create_app({"data_dir": sys.argv[1]})  # what each gevent worker builds after fork
client = app.test_client()
statuses = [client.get(path).status_code for path in ("/", "/login", "/connect", "/library/")]
print(json.dumps({"statuses": statuses, "loaded": sorted(name for name, module in sys.modules.items()
                                                         if module is not None and name in sys.argv[2:])}))
"""
# What a web worker has no use for: the Socket.IO clients' HTTP stacks, zxcvbn's word lists (a
# password being set loads them), cryptography (the agent reads the TLS certificate for health),
# python-zeroconf (the agent announces the box; /connect only reads what it recorded).
UNUSED_IN_A_WORKER = ("aiohttp", "requests", "websocket", "zxcvbn", "cryptography.x509", "zeroconf")


def probe(kind: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, kind], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_gevent_arbiter_holds_the_web_code_patched_and_nothing_open():
    found = probe("gevent")
    assert {"flask_socketio", "socketio.redis_manager", "classbox.extensions", "classbox.classroom"} <= set(found["modules"])
    assert found["patched"], "the arbiter must patch before importing, as its workers do"
    assert not found["aiohttp"], "the Socket.IO client's aiohttp has no use in the server"
    assert found["files"] == [] and found["threads"] == 1


def test_the_threading_arbiter_imports_nothing_and_patches_nothing():
    found = probe("threading")
    assert not found["patched"] and "flask_socketio" not in found["modules"]


def test_with_two_workers_only_the_workers_hold_the_database_and_pushes_cross(two_workers, data_dir):  # noqa: F811
    server, workers, teacher, here, there = two_workers
    code = teacher.call("open_session", {"title": "Partage"})["code"]
    (pupil,) = place(server.url, workers, {here: 0, there: 1})
    pupil.call("join", {"code": code, "name": "Inès"})
    activity = teacher.call("push", {"type": "quiz", "kind": "number", "question": "?"})["activity"]
    assert activity["id"] in json.dumps(pupil.wait_for("activity"))  # through Redis to the other worker
    arbiter = psutil.Process(server.proc.pid)
    assert not [f.path for f in arbiter.open_files() if f.path.startswith(str(data_dir))]
    assert arbiter.num_threads() == 1
    wait_until(lambda: all(any(f.path.startswith(str(data_dir)) for f in w.open_files()) for w in workers),
               what="each worker's own SQLite connection")


def test_a_gevent_worker_builds_and_serves_the_app_without_the_modules_it_never_uses(tmp_path):
    done = subprocess.run([sys.executable, "-c", WORKER_PROBE, str(tmp_path / "data"), *UNUSED_IN_A_WORKER],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.splitlines()[-1])
    assert all(status < 500 for status in found["statuses"]), found
    assert found["loaded"] == [], f"each worker would hold these for nothing: {found['loaded']}"


ARENA_PROBE = """
import sys
from classbox.runtime.server import preload_modules
preload_modules(sys.argv[1])
ARENA_HEAP = 64 << 20  # glibc maps each extra arena's heap at a 64 MiB boundary
def arena_heaps():
    return sum(1 for line in open("/proc/self/maps")
               if len(line.split()) == 5 and line.split()[1] == "rw-p"
               and int(line.split("-")[0], 16) % ARENA_HEAP == 0)
before = arena_heaps()
from gevent.monkey import get_original  # real threads and locks, as the offload pool's
start_thread, new_lock, pause = (get_original("_thread", "start_new_thread"), get_original("_thread", "allocate_lock"),
                                 get_original("time", "sleep"))
counted, done, allocated = new_lock(), new_lock(), []
done.acquire()
def allocate():
    kept = [bytearray(1000) for _ in range(1000)]
    with counted:
        allocated.append(len(kept))
    done.acquire()  # stay alive (and keep the arena) until every thread has allocated
    done.release()
for _ in range(8):
    start_thread(allocate, ())
while len(allocated) < 8:  # eight threads allocating at once, as a busy offload pool
    pause(0.001)
print(arena_heaps() - before)
done.release()
"""


def test_the_gevent_workers_offload_threads_share_two_malloc_arenas():
    done = subprocess.run([sys.executable, "-c", ARENA_PROBE, "gevent"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.split()[-1]) <= 1, "beyond the main arena, one more for the offload pool's threads"
