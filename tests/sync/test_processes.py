"""Whole processes: the agent SIGKILLed during delivery, and a clock moved back a year."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from classbox.storage import open_database
from classbox.sync.link import Link
from classbox.sync.runner import SyncRunner
from tests.helpers import require_apt, wait_until
from tests.sync.conftest import enqueue_answers, lrs_config
from tests.sync.peers import Ralph

pytestmark = pytest.mark.peer


def box_env(config, **extra) -> dict:
    """Environment giving a child classbox process this config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    xapi = config["sync.xapi"]
    env.update({"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_DATA_DIR": str(config.data_dir),
                "CLASSBOX_BOX_ID": config["box"]["id"], "CLASSBOX_DISCOVERY_ENABLED": "false",
                "CLASSBOX_SYNC_XAPI_ENDPOINT": xapi["endpoint"],
                "CLASSBOX_SYNC_XAPI_USERNAME": xapi["username"],
                "CLASSBOX_SYNC_XAPI_PASSWORD_FILE": xapi["password_file"],
                "CLASSBOX_SYNC_BATCH_SIZE": str(config["sync"]["batch_size"]),
                "CLASSBOX_SYNC_MAX_KBPS": str(config["sync"]["max_kbps"]),
                "CLASSBOX_SYNC_GZIP": "false", "CLASSBOX_SYNC_INTERVAL_S": "0.2"})
    env.update(extra)
    return env


def delivered(config) -> int:
    db = open_database(config.data_dir, durable=False)
    try:
        return db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'delivered'").fetchone()[0]
    finally:
        db.conn.close()


def test_agent_sigkilled_twenty_times_during_delivery(tmp_path):
    with Ralph(tmp_path / "lrs") as server:
        # 160 kbit/s and batches of 5: each batch takes a fraction of a second, so kills land mid-flight
        config = lrs_config(tmp_path, server, **{"sync.batch_size": 5, "sync.max_kbps": 160})
        db = open_database(config.data_dir)
        ids = enqueue_answers(db, 500)
        rng = random.Random(20)
        kills = 0
        for kill in range(20):
            before = delivered(config)
            agent = subprocess.Popen([sys.executable, "-m", "classbox", "agent"], env=box_env(config),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
            try:
                # each kill after some progress, however slow the machine: a kill on a timer could hit the
                # same batch in flight again and again, which sync/crashes.py rightly backs off, then kills
                wait_until(lambda: delivered(config) > before, timeout=300, what=f"a delivery before kill {kill}")
                time.sleep(rng.uniform(0.0, 0.4))  # where the kill lands in the next batch: random, on purpose
            finally:
                os.killpg(agent.pid, signal.SIGKILL)
                agent.wait()
            kills += 1
        assert kills == 20
        assert delivered(config) < len(ids)  # the kills really happened during the delivery
        # any retry is due; the cap only made the kills land mid-flight: the rest goes uncapped
        runner = SyncRunner(config, now=lambda: time.time() + 7200, link=Link(config["sync"]["timeout_s"]))

        def drained() -> bool:
            assert runner.once()["dead"] == 0  # a slow LRS may time a batch out (retried), never kill a record
            return delivered(config) == len(ids)
        try:
            wait_until(drained, timeout=600, step=0.2, what="every record delivered after the kills")
        finally:
            runner.link.close()
        assert [s["id"] for s in server.stored()] == ids  # exactly the enqueued ids, once, in order


ENQUEUE = """
import sys, uuid
from classbox.storage import open_database
from classbox.sync.outbox import enqueue
from tests.sync.conftest import answer_payload
db = open_database(sys.argv[1])
with db.conn:
    for n in range(int(sys.argv[2]), int(sys.argv[2]) + 10):
        sid = str(uuid.uuid4())
        enqueue(db, "xapi", "lrs", answer_payload(n, sid), sid, "p-1")
        print(sid)
"""


def test_clock_moved_back_a_year(tmp_path):
    faketime = require_apt("faketime")
    server = Ralph(tmp_path / "lrs")
    config = lrs_config(tmp_path, server, **{"sync.batch_size": 4})
    fake = {"DONT_FAKE_MONOTONIC": "1", "PYTHONPATH": os.getcwd()}
    # ten records made while the box's clock is a year behind, ten with a good clock
    made = subprocess.run([faketime, "-f", "-365d", sys.executable, "-c", ENQUEUE, str(config.data_dir), "0"],
                          env=box_env(config, **fake), capture_output=True, text=True, check=True)
    ids = made.stdout.split()
    db = open_database(config.data_dir)
    wall = db.execute("SELECT created_wall FROM outbox WHERE seq = 1").fetchone()[0]
    assert wall < time.time() - 300 * 86400  # libfaketime really moved the clock
    ids += enqueue_answers(db, 10, start=10)
    # the LRS is down on a first pass with the right clock: retries get scheduled
    runner = SyncRunner(config)
    assert runner.once()["retry"] == 1
    runner.link.close()
    with server:
        for _ in range(10):
            done = subprocess.run([faketime, "-f", "-365d", sys.executable, "-m", "classbox", "sync", "once"],
                                  env=box_env(config, **fake), capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            if len(server.stored()) == 20:
                break
        stored = server.stored()
    assert [s["id"] for s in stored] == ids  # order by seq, all delivered, once
    now = dt.datetime.now(dt.timezone.utc)
    box = config["box"]["id"]
    flags = []
    for statement in stored:
        stamp = dt.datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00"))
        assert abs((now - stamp).total_seconds()) < 600  # corrected from the LRS's Date header
        flags.append(statement["context"]["extensions"].get(f"http://{box}.classbox.invalid/xapi/ext/clock"))
    assert flags == ["corrected"] * 20  # all were made before the box had learned the time
