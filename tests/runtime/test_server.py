"""Real processes: `classbox serve --demo`, a kill -9 and a restart, the agent's clean stop."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from classbox.storage import open_database
from classbox.storage.core import get_state
from tests.helpers import LiveServer, wait_until


def login(client: httpx.Client, user: str, password: str) -> httpx.Response:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"login": user, "password": password, "csrf_token": token})


def test_serve_demo_answers_and_survives_kill9(tmp_path):
    data = tmp_path / "data"
    server = LiveServer(data, args=("--demo",))
    with server:
        assert httpx.get(server.url + "/healthz").text == "ok\n"
        home = httpx.get(server.url + "/")
        assert '<html lang="fr">' in home.text
        output = server.log.read_text()
        password = re.search(r"password '([^']+)'", output).group(1)
        with httpx.Client(base_url=server.url) as client:
            assert login(client, "prof", password).status_code == 302
            assert client.get("/teacher").status_code == 200
        server.kill9()

    db = open_database(data)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.conn.close()

    again = LiveServer(data, args=("--demo",))
    with again:
        assert "password '" not in again.log.read_text().split("serving http")[-1]
        with httpx.Client(base_url=again.url) as client:
            assert login(client, "prof", password).status_code == 302, "the account survived kill -9"


def test_agent_records_heartbeat_and_stops_within_5s_on_sigterm(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update(CLASSBOX_CONFIG=os.devnull, CLASSBOX_DATA_DIR=str(tmp_path / "data"),
               CLASSBOX_DISCOVERY_ENABLED="false", CLASSBOX_SYNC_ENABLED="false")
    proc = subprocess.Popen([sys.executable, "-m", "classbox", "agent"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def heartbeat() -> dict | None:
            if not (tmp_path / "data" / "classbox.db").exists():
                return None
            db = open_database(tmp_path / "data")
            try:
                return get_state(db, "agent")
            except sqlite3.OperationalError:
                return None  # migrations still running
            finally:
                db.conn.close()

        assert wait_until(heartbeat, 20, 0.2) is not None, "the agent writes its heartbeat"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
        assert time.monotonic() - started < 5
        assert proc.returncode == 0
        assert "agent stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_the_web_workers_heartbeat_file_is_in_ram_not_on_the_disk(tmp_path):
    import psutil

    with LiveServer(tmp_path / "data", command="web") as server:
        [worker] = psutil.Process(server.proc.pid).children()
        # gunicorn's WorkerTmp: a file it touches every second, unlinked at once, kept open
        fds = Path(f"/proc/{worker.pid}/fd")
        beats = [os.readlink(fd) for fd in fds.iterdir() if "wgunicorn-" in os.readlink(fd)]
        assert beats and all(path.startswith("/dev/shm/") for path in beats), beats
