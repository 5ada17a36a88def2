"""The real agent, killed again and again while an LRS holds its request (as a watchdog or the OOM
killer would): after a few kills the batch waits its retry and goes one record at a time, then the
record goes dead for the operator and the queue moves on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from classbox.storage import open_database
from classbox.sync.crashes import BACKOFF_AFTER, DEAD_AFTER
from tests.helpers import wait_until
from tests.sync.conftest import enqueue_answers, secret, synced_config
from tests.sync.test_crash_backoff import sync_status
from tests.sync.test_processes import box_env


class StuckLrs(ThreadingHTTPServer):
    """An LRS that reads each batch of statements and never answers (a half-open peer)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), StuckHandler)
        self.batches: list[list[str]] = []  # the statement ids of each POST received
        self.release = threading.Event()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/xapi/"

    def close(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class StuckHandler(BaseHTTPRequestHandler):
    """Answers HEAD at once (the Date header), holds every POST until the test ends."""

    def log_message(self, *args) -> None:
        pass

    def do_HEAD(self) -> None:  # the agent learns the time from the Date header
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.batches.append([statement["id"] for statement in body])
        self.server.release.wait(120)


def test_agent_killed_while_its_lrs_holds_the_batch(tmp_path):
    lrs = StuckLrs()
    config = synced_config(tmp_path, **{"sync.xapi.endpoint": lrs.endpoint, "sync.xapi.username": "box",
                                      "sync.xapi.password_file": secret(tmp_path, "lrs", "pw"),
                                      "sync.batch_size": 5, "sync.max_kbps": 0})
    db = open_database(config.data_dir)
    try:
        ids = enqueue_answers(db, 10)
        env = box_env(config, CLASSBOX_SYNC_RETRY_BASE_S="0.2")
        for kill in range(DEAD_AFTER + 1):
            agent = subprocess.Popen([sys.executable, "-m", "classbox", "agent"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
            try:
                wait_until(lambda: len(lrs.batches) > kill or agent.poll() is not None, timeout=60,
                           what=f"the agent's batch number {kill + 1}")
            finally:
                os.killpg(agent.pid, signal.SIGKILL)
                agent.wait()
                agent.stderr.close()
        # whole batches, then (backed off) the head alone, then the head is dead and the next one goes
        assert lrs.batches == [ids[:5]] * BACKOFF_AFTER + [ids[:1]] * (DEAD_AFTER - BACKOFF_AFTER) + [ids[1:2]]
        states = db.execute("SELECT state, attempts FROM outbox ORDER BY seq").fetchall()
        assert states == [("dead", DEAD_AFTER - BACKOFF_AFTER + 1)] + [("pending", 1)] * 4 + [("pending", 0)] * 5
        shown = sync_status(config)
        assert "dead 1" in shown and f"the sync agent was killed {DEAD_AFTER} times in a row" in shown
    finally:
        db.conn.close()
        lrs.close()
