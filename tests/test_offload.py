"""Blocking work (upload import, verify, hand-in archives) runs off gevent's event loop."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from classbox.runtime.offload import off_loop

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
