"""Blocking work (upload import, verify, hand-in archives) runs off gevent's event loop."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from classbox.runtime.offload import OFFLOAD_THREADS, POOL_NAME, OffloadTimeout, off_loop, off_loop_within

UNDER_GEVENT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import gevent
    from classbox.runtime.offload import off_loop

    native_lock = monkey.get_original("_thread", "allocate_lock")()
    native_lock.acquire()

    def blocking():  # blocks its OS thread until the event loop runs the other greenlet
        return native_lock.acquire(timeout=5)

    def other_connection():
        gevent.sleep(0)
        native_lock.release()

    helper = gevent.spawn(other_connection)
    print("loop served others meanwhile" if off_loop(blocking) else "loop was blocked")
    helper.join()
""")


def test_off_loop_keeps_the_gevent_loop_serving():
    out = subprocess.run([sys.executable, "-c", UNDER_GEVENT], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "loop served others meanwhile", out.stderr


def test_off_loop_without_gevent_runs_in_place_and_passes_errors():
    assert off_loop(lambda a, b: a + b, 2, 3) == 5
    with pytest.raises(ValueError):
        off_loop(int, "pas un nombre")


COPY_UNDER_GEVENT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import hashlib, io, os, sys
    from classbox.library.copier import copy_hashed, stream_reader
    from classbox.runtime.offload import off_loop

    data = os.urandom(20 * 1024 * 1024 + 3)  # several buffers through the ring

    def copy():
        fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            return copy_hashed(stream_reader(io.BytesIO(data)), fd)
        finally:
            os.close(fd)

    sha, size = off_loop(copy)
    same = sha == hashlib.sha256(data).hexdigest() and open(sys.argv[1], "rb").read() == data
    print("copied" if same and size == len(data) else "wrong copy")
""")


def test_the_copy_engine_works_inside_gevents_threadpool(tmp_path):
    out = subprocess.run([sys.executable, "-c", COPY_UNDER_GEVENT, str(tmp_path / "copie.part")],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "copied", out.stderr


def test_off_loop_within_gives_up_at_its_budget_and_says_when_the_work_ends():
    release, ended = threading.Event(), threading.Event()
    with pytest.raises(OffloadTimeout):
        off_loop_within(0.2, lambda: release.wait(10), done=ended.set)
    assert not ended.is_set()
    release.set()
    assert ended.wait(5)
    assert off_loop_within(5, lambda: threading.current_thread().name).startswith(POOL_NAME)


ONE_POOL_UNDER_GEVENT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import gevent
    from classbox.library.zimread import BoundedRunner
    from classbox.runtime.offload import OFFLOAD_THREADS, off_loop

    native = monkey.get_original("_thread", "allocate_lock")
    count_lock, gate = native(), native()
    gate.acquire()
    running = [0, 0]  # now, most at once

    def blocking():
        with count_lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        gate.acquire(); gate.release()
        with count_lock:
            running[0] -= 1
        return "done"

    runner = BoundedRunner(workers=2, max_pending=8)
    work = [gevent.spawn(off_loop, blocking) for _ in range(OFFLOAD_THREADS + 2)]
    while running[0] < OFFLOAD_THREADS:
        gevent.sleep(0.01)
    search = gevent.spawn(runner.run, blocking, 30)  # waits for a thread of the same pool
    gevent.sleep(0.2)
    queued = running[0]
    gate.release()
    gevent.joinall(work + [search], timeout=30)
    print(queued, running[1], [g.value for g in work + [search]].count("done"))
""")


def test_one_pool_of_offload_threads_serves_every_caller_under_gevent():
    out = subprocess.run([sys.executable, "-c", ONE_POOL_UNDER_GEVENT], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == [str(OFFLOAD_THREADS), str(OFFLOAD_THREADS), str(OFFLOAD_THREADS + 3)], out.stderr
