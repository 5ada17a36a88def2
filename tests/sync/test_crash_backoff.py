"""A batch whose delivery kills the agent (out of memory, a kill during a stuck request): one kill
costs no delay, a batch that keeps killing it is backed off and shown to the operator (its record
going dead after more kills: tests/sync/test_crash_agent.py, with the real agent)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from classbox.storage import open_database
from classbox.storage.db import db_path
from classbox.sync.crashes import BACKOFF_AFTER
from classbox.sync.ratelimit import LinkClosed
from classbox.sync.runner import SyncRunner
from tests.health.test_sd_card import CommitWatch
from tests.sync.conftest import enqueue_answers
from tests.sync.test_idle_pass import unreachable_lrs

ROOT = Path(__file__).parents[2]


class Killer:
    """A connector whose delivery kills its own process, as the OOM killer would."""

    kind, target, batch_size, probe_url = "xapi", "lrs", 10, ""

    def deliver(self, records):
        os.kill(os.getpid(), signal.SIGKILL)


class Recorder:
    """A connector that notes each batch it was asked to deliver (and delivers nothing)."""

    kind, target, batch_size, probe_url = "xapi", "lrs", 10, ""

    def __init__(self, watch: CommitWatch | None = None) -> None:
        self.asked: list[list[int]] = []
        self.watch = watch
        self.committed_before: list[bool] = []

    def deliver(self, records):
        self.asked.append([r.seq for r in records])
        if self.watch:
            self.committed_before.append(self.watch.committed())
        raise LinkClosed("the window closed")


CRASHING_PASS = """
import sys, time
from classbox.sync.runner import SyncRunner
from tests.helpers import make_config
from tests.sync.test_crash_backoff import Killer
config = make_config(data_dir=sys.argv[1], **{"discovery.enabled": False, "sync.retry_base_s": 2.0})
ahead = float(sys.argv[2])
SyncRunner(config, now=lambda: time.time() + ahead, connectors=lambda *a: {"lrs": Killer()}).once()
"""


def killing_pass(config, ahead_s: float = 0.0) -> str:
    """One sync pass in an agent process whose delivery kills it (its clock `ahead_s` in the future):
    "killed", or "waited" when it sent nothing."""
    done = subprocess.run([sys.executable, "-c", CRASHING_PASS, str(config.data_dir), str(ahead_s)],
                          timeout=60, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode in (0, -signal.SIGKILL), done.stderr
    return "killed" if done.returncode else "waited"


def crashed_pass(config) -> None:
    """One sync pass in an agent process killed while it sends."""
    assert killing_pass(config) == "killed"


def rows(db) -> list[tuple]:
    """The outbox rows (seq, state, attempts, next_attempt_at, last_error), in seq order."""
    return db.execute("SELECT seq, state, attempts, next_attempt_at, last_error FROM outbox ORDER BY seq").fetchall()


def sync_status(config) -> str:
    """What `classbox sync status` prints to the technician for this data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update(CLASSBOX_CONFIG=os.devnull, CLASSBOX_DATA_DIR=str(config.data_dir))
    done = subprocess.run([sys.executable, "-m", "classbox", "sync", "status"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def box(tmp_path):
    """A config whose LRS is out of reach, and its database with three answers queued."""
    config = unreachable_lrs(tmp_path)
    db = open_database(config.data_dir)
    enqueue_answers(db, 3)
    yield config, db
    db.conn.close()


def test_one_kill_is_sent_again_at_once_whole(box):
    config, db = box
    crashed_pass(config)
    recorder = Recorder(CommitWatch(db_path(config.data_dir)))
    SyncRunner(config, connectors=lambda *a: {"lrs": recorder}).once(db=db)
    assert recorder.asked == [[1, 2, 3]], "a single kill delayed or split the batch"
    assert recorder.committed_before == [False], "counting one kill wrote to the SD card"
    assert [r[2] for r in rows(db)] == [0, 0, 0]
    assert not list(config.runtime_dir.glob("sync-*")), "the batch's note outlived its settling"


def test_a_batch_that_keeps_killing_the_agent_waits_its_retry_and_is_shown(box):
    config, db = box
    for _ in range(BACKOFF_AFTER):
        crashed_pass(config)
    recorder = Recorder()
    before = time.time()
    runner = SyncRunner(config, connectors=lambda *a: {"lrs": recorder})
    runner.once(db=db)
    assert recorder.asked == [], "a batch that killed the agent three times was sent again at once"
    for seq, state, attempts, at, error in rows(db):
        assert (state, attempts) == ("pending", 1) and at > before and "killed 3 times" in error
    shown = sync_status(config)
    assert "the sync agent was killed 3 times in a row while sending seq 1..3" in shown
    runner.now = lambda: time.time() + 7200  # its retry is due: one record per request
    runner.once(db=db)
    assert recorder.asked == [[1]]


def test_the_kill_count_survives_a_clean_restart_during_the_backoff(box):
    config, db = box
    passes = [killing_pass(config, ahead_s=n * 7200.0) for n in range(BACKOFF_AFTER + 1)]
    assert passes == ["killed"] * BACKOFF_AFTER + ["waited"]  # the last one stopped cleanly in its backoff
    recorder = Recorder()
    SyncRunner(config, now=lambda: time.time() + 9 * 7200.0, connectors=lambda *a: {"lrs": recorder}).once(db=db)
    assert recorder.asked == [[1]], "after a clean restart the batch that killed the agent went whole again"


def test_a_pass_sent_by_hand_while_the_agent_sends_counts_no_kill(box):
    """The note of a live agent (another process) is not a crash left behind."""
    config, db = box
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        note = f'{{"seqs": [1, 2, 3], "kills": {BACKOFF_AFTER}, "sending": true, "pid": {sleeper.pid}}}'
        config.runtime_dir.mkdir(parents=True, exist_ok=True)
        (config.runtime_dir / "sync-lrs.inflight").write_text(note)
        recorder = Recorder()
        SyncRunner(config, connectors=lambda *a: {"lrs": recorder}).once(db=db)
        assert recorder.asked == [[1, 2, 3]] and [r[2] for r in rows(db)] == [0, 0, 0]
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_damaged_note_counts_no_kill(box):
    config, db = box
    config.runtime_dir.mkdir(parents=True, exist_ok=True)
    (config.runtime_dir / "sync-lrs.inflight").write_text('{"seqs": "1", "kills": 9')
    recorder = Recorder()
    SyncRunner(config, connectors=lambda *a: {"lrs": recorder}).once(db=db)
    assert recorder.asked == [[1, 2, 3]] and [r[2] for r in rows(db)] == [0, 0, 0]
