"""`classbox privacy erase` beside a running web service whose workers hold a pupil's acked answer: one worker (no Redis), or two with Redis stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import psutil
import pytest

from classbox.storage import open_database
from tests.classroom.test_live_server import Device, close_devices, teacher_cookie
from tests.helpers import LiveServer
from tests.runtime.test_workers_redis import data_dir  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow


def rows_of(data_dir, pupil_id: str) -> dict[str, int]:
    """What SQLite holds of a pupil (committed rows only)."""
    db = open_database(data_dir, durable=False)
    try:
        return {table: db.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", [pupil_id]).fetchone()[0]
                for table, column in (("classroom_pupils", "id"), ("classroom_submissions", "pupil_id"),
                                      ("outbox", "pupil_id"))}
    finally:
        db.conn.close()


# `classbox` with a shorter wait for the web workers' confirmation than the technician's 15 s
# (privacy/cli.py ERASE_SETTLE_S): a test that waits it out on purpose need not wait that long
SHORT_SETTLE = ("import sys\nimport classbox.privacy.cli\nclassbox.privacy.cli.ERASE_SETTLE_S = 2.0\n"
                "from classbox.cli import main\nsys.argv[0] = 'classbox'\nmain()\n")


def erase(server: LiveServer, pupil_id: str, short_settle: bool = False) -> subprocess.CompletedProcess:
    command = ["-c", SHORT_SETTLE] if short_settle else ["-m", "classbox"]
    return subprocess.run([sys.executable, *command, "privacy", "erase", "--pupil", pupil_id, "--yes"],
                          env=server.env, capture_output=True, text=True, timeout=120)


def a_class(server: LiveServer) -> tuple[Device, str, Device, str]:
    """A teacher's open session and one pupil in it: (teacher, code, pupil, pupil_id)."""
    teacher = Device(server.url, teacher_cookie(server.url))
    code = teacher.call("open_session", {"title": "Effacement"})["code"]
    pupil = Device(server.url)
    return teacher, code, pupil, pupil.call("join", {"code": code, "name": "Zoé"})["pupil_id"]


def test_erase_beside_a_running_web_worker_takes_its_acked_answers_and_they_never_come_back(data_dir):
    with LiveServer(data_dir, command="web") as server:
        teacher, code, pupil, pupil_id = a_class(server)
        activity = teacher.call("push", {"type": "quiz", "kind": "number", "question": "2 + 2 ?"})["activity"]
        answered = pupil.call("submit", {"activity_id": activity["id"], "submission_id": str(uuid.uuid4()),
                                         "answer": 4})
        assert answered["ok"]
        assert rows_of(data_dir, pupil_id)["classroom_submissions"] == 0  # acked in the journal, not committed
        done = erase(server, pupil_id)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "erased" in done.stdout
        assert rows_of(data_dir, pupil_id) == {"classroom_pupils": 0, "classroom_submissions": 0, "outbox": 0}
        again = pupil.call("submit", {"activity_id": activity["id"], "submission_id": str(uuid.uuid4()),
                                      "answer": 5})  # its tablet, still connected, answers once more
        assert not again.get("ok"), again
        teacher.call("watch", {"code": code})  # a teacher's look commits what the worker holds
        close_devices(server.url)
    assert rows_of(data_dir, pupil_id) == {"classroom_pupils": 0, "classroom_submissions": 0, "outbox": 0}


def test_erase_refuses_and_erases_nothing_when_the_web_worker_does_not_confirm_in_time(data_dir):
    with LiveServer(data_dir, command="web") as server:
        teacher, code, pupil, pupil_id = a_class(server)
        (worker,) = psutil.Process(server.proc.pid).children()
        os.kill(worker.pid, signal.SIGSTOP)  # a worker stuck (swapping, a long batch)
        try:
            done = erase(server, pupil_id, short_settle=True)  # waits 2 s for the stuck worker, not 15
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        assert done.returncode != 0
        assert "nothing erased" in done.stderr and "did not confirm" in done.stderr and "stop it" in done.stderr
        teacher.call("watch", {"code": code})  # its rows committed: still there, nothing was erased
        assert rows_of(data_dir, pupil_id)["classroom_pupils"] == 1
        close_devices(server.url)


def test_erase_beside_two_running_workers_with_redis_stopped_takes_their_acked_answers(tmp_path, data_dir):
    from tests.runtime.test_workers_redis import place
    from tests.runtime.test_workers_shared import box

    with box(tmp_path, data_dir) as (server, redis_server, workers, teacher, here, there):
        code = teacher.call("open_session", {"title": "Effacement"})["code"]
        (pupil,) = place(server.url, workers, {here: 0, there: 1})  # its answer journaled by the other worker
        pupil_id = pupil.call("join", {"code": code, "name": "Zoé"})["pupil_id"]
        activity = teacher.call("push", {"type": "quiz", "kind": "number", "question": "2 + 2 ?"})["activity"]
        assert pupil.call("submit", {"activity_id": activity["id"], "submission_id": str(uuid.uuid4()),
                                     "answer": 4})["ok"]
        assert rows_of(data_dir, pupil_id)["classroom_submissions"] == 0
        redis_server.stop()  # no asking the workers through Redis
        done = erase(server, pupil_id)
        assert done.returncode == 0, done.stdout + done.stderr
        assert rows_of(data_dir, pupil_id) == {"classroom_pupils": 0, "classroom_submissions": 0, "outbox": 0}
    assert rows_of(data_dir, pupil_id) == {"classroom_pupils": 0, "classroom_submissions": 0, "outbox": 0}
