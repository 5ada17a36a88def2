"""A batch that kills the agent mid-delivery (OOM, watchdog, power kept) is counted at the restart
and backed off, not sent again at once forever; the marker lives in the runtime dir, not on the SD card."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from classbox.storage import open_database
from classbox.sync.ratelimit import LinkClosed
from classbox.sync.runner import SyncRunner
from tests.sync.conftest import enqueue_answers
from tests.sync.test_idle_pass import unreachable_lrs


class Killer:
    """A connector whose delivery kills its own process, as the OOM killer would."""

    kind, target, batch_size, probe_url = "xapi", "lrs", 10, ""

    def deliver(self, records):
        os.kill(os.getpid(), signal.SIGKILL)


class Recorder:
    """A connector that notes what it was asked to deliver (and delivers nothing)."""

    kind, target, batch_size, probe_url = "xapi", "lrs", 10, ""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def deliver(self, records):
        self.asked += [r.seq for r in records]
        raise LinkClosed("the window closed")


CRASHING_PASS = """
import sys
from classbox.sync.ratelimit import LinkClosed
from classbox.sync.runner import SyncRunner
from tests.helpers import make_config
from tests.sync.test_crash_marker import Killer
config = make_config(data_dir=sys.argv[1], **{"discovery.enabled": False})
SyncRunner(config, connectors=lambda *a: {"lrs": Killer()}).once()
"""


def crashed_pass(config) -> None:
    """One sync pass in an agent process killed while it sends."""
    done = subprocess.run([sys.executable, "-c", CRASHING_PASS, str(config.data_dir)], timeout=60,
                          cwd=Path(__file__).parents[2], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_a_batch_that_killed_the_agent_waits_its_backoff_at_the_restart(tmp_path):
    config = unreachable_lrs(tmp_path)
    db = open_database(config.data_dir)
    enqueue_answers(db, 3)
    crashed_pass(config)
    recorder = Recorder()
    before = time.time()
    SyncRunner(config, connectors=lambda *a: {"lrs": recorder}).once(db=db)
    assert recorder.asked == [], "the batch that killed the agent was sent again at once"
    rows = db.execute("SELECT attempts, next_attempt_at, last_error FROM outbox ORDER BY seq").fetchall()
    assert all(attempts == 1 and at > before and "stopped" in error for attempts, at, error in rows)
    db.conn.close()


def test_a_pass_that_came_back_leaves_no_marker(tmp_path):
    config = unreachable_lrs(tmp_path)
    db = open_database(config.data_dir)
    enqueue_answers(db, 3)
    recorder = Recorder()
    SyncRunner(config, connectors=lambda *a: {"lrs": recorder}).once(db=db)
    assert recorder.asked == [1, 2, 3] and not list(config.runtime_dir.glob("sync-*"))
    db.conn.close()
