"""`classbox privacy erase` beside a process holding an answer journal that its settle socket does not confirm."""

from __future__ import annotations

import os
import subprocess
import sys

from classbox.storage.writer import GroupWriter
from tests.redis_server import RedisServer
from tests.storage.test_journal import _answer, _keys, data_dir  # noqa: F401 (data_dir: a fixture)


def erase(data_dir, pupil_id: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    base.update({"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_DATA_DIR": str(data_dir), **env})
    return subprocess.run([sys.executable, "-m", "classbox", "privacy", "erase", "--pupil", pupil_id, "--yes"],
                          env=base, capture_output=True, text=True, timeout=120)


def test_redis_confirming_does_not_stand_for_a_worker_whose_socket_did_not(tmp_path, data_dir):
    # a worker holding an acked answer, not (yet again) on the bus and without its socket (squatted, an older version)
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    try:
        writer.run(_answer("acked-1"), journaled=True)
        with RedisServer(tmp_path / "redis") as redis_server:  # no worker subscribed: Redis "confirms" at once
            done = erase(data_dir, "pupil-1", CLASSBOX_WEB_WORKERS="2", CLASSBOX_WEB_MESSAGE_QUEUE=redis_server.url)
        assert done.returncode != 0, done.stdout + done.stderr
        assert "nothing erased" in done.stderr and "classroom.journal" in done.stderr
        writer.settle(others=False)
        assert "acked-1" in _keys(data_dir)  # nothing erased, nothing half-erased
    finally:
        writer.close()


def test_an_answer_acked_lazily_after_the_workers_eager_window_is_erased_too(data_dir, monkeypatch):
    """The window in which a worker commits before its acks starts at the request: an erase slower than it
    (SQLite busy, several workers asked in turn) must still catch what was acked lazily after it."""
    import threading
    import time

    from click.testing import CliRunner

    from classbox.classroom import settle_socket
    from classbox.cli import cli
    from classbox.privacy import core

    now = [time.monotonic()]
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    listener = settle_socket.serve(writer, data_dir, lambda fn, *a: threading.Thread(
        target=fn, args=a, daemon=True).start(), lambda: now[0])
    real_erase = core.erase_pupil

    def slow_erase(db, pupil_id):
        if not getattr(slow_erase, "done", False):
            slow_erase.done = True
            now[0] += settle_socket.EAGER_S + 1  # the erase started after the worker's window closed
            writer.run(_answer("acked-late"), journaled=True)  # the pupil's tablet answers: acked lazily
        return real_erase(db, pupil_id)

    monkeypatch.setattr(core, "erase_pupil", slow_erase)
    try:
        done = CliRunner().invoke(cli, ["--config", os.devnull, "--data-dir", str(data_dir),
                                         "privacy", "erase", "--pupil", "pupil-1", "--yes"])
        assert done.exit_code == 0, done.output
        writer.settle(others=False)  # the worker's next commit
        assert "acked-late" not in _keys(data_dir)  # the erased pupil's answer does not come back
    finally:
        listener.close()
        writer.close()
