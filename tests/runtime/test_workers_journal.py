"""One answer journal per web worker (real gunicorn workers, real Redis): acks durable, teachers miss nothing."""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import signal
import uuid

import psutil
import pytest

from classbox.storage import open_database
from tests.classroom.test_live_server import Device, teacher_cookie
from tests.helpers import LiveServer, wait_until
from tests.runtime.test_workers_redis import data_dir, place, worker_of  # noqa: F401 (data_dir: a fixture)
from tests.runtime.test_workers_shared import box

pytestmark = pytest.mark.slow


def committed(data_dir) -> set[str]:
    """The answers SQLite holds now (what a reader without the journals sees)."""
    db = open_database(data_dir)
    try:
        return {row[0] for row in db.execute("SELECT id FROM classroom_submissions")}
    finally:
        db.conn.close()


def http_on(url: str, workers: list[psutil.Process], pid: int) -> http.client.HTTPConnection:
    """A kept-alive HTTP connection the kernel gave to worker `pid`."""
    host, port = url.removeprefix("http://").split(":")
    for _ in range(60):
        conn = http.client.HTTPConnection(host, int(port), timeout=15)
        conn.connect()
        local = conn.sock.getsockname()[1]
        if any(c.raddr and c.raddr.port == local for c in psutil.Process(pid).net_connections("tcp")):
            return conn
        conn.close()
    raise AssertionError(f"the kernel never gave a connection to worker {pid}")


def get(conn: http.client.HTTPConnection, path: str, cookie: str) -> str:
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    body = response.read().decode()
    assert response.status == 200, body
    return body


def answer(pupil: Device, activity_id: str) -> str:
    sid = str(uuid.uuid4())
    assert pupil.call("submit", {"activity_id": activity_id, "submission_id": sid, "answer": 12}) == {
        "ok": True, "submission_id": sid, "duplicate": False}
    return sid


def start_class(server, workers, teacher, where: dict[int, int]) -> tuple[str, str, list[Device]]:
    code = teacher.call("open_session", {"title": "Journal"})["code"]
    pupils = place(server.url, workers, where)
    for i, pupil in enumerate(pupils):
        assert pupil.call("join", {"code": code, "name": f"Élève{i}"})["ok"]
    pushed = teacher.call("push", {"type": "quiz", "kind": "number", "question": "3 × 4 ?"})["activity"]
    assert [p.wait_for("activity")["id"] for p in pupils] == [pushed["id"]] * len(pupils)
    return code, pushed["id"], pupils


def test_answers_acked_on_one_worker_are_in_the_results_and_csv_read_through_another_at_once(tmp_path, data_dir):
    with box(tmp_path, data_dir) as (server, _, workers, teacher, here, there):
        code, activity, pupils = start_class(server, workers, teacher, {here: 0, there: 3})
        acked = {answer(pupil, activity) for pupil in pupils}
        assert not acked & committed(data_dir)  # journaled by the pupils' worker: no commit per answer
        cookie = teacher_cookie(server.url)
        conn = http_on(server.url, workers, here)
        try:
            document = json.loads(get(conn, f"/api/sessions/{code}/results", cookie))
            rows = list(csv.DictReader(io.StringIO(get(conn, f"/api/sessions/{code}/results?format=csv", cookie))))
        finally:
            conn.close()
        assert {s["id"] for s in document["submissions"]} == acked
        assert len(rows) == len(acked)
        assert acked <= committed(data_dir)


def test_a_worker_killed_9_after_its_journaled_acks_loses_none_of_them(tmp_path, data_dir):
    with box(tmp_path, data_dir) as (server, _, workers, teacher, here, there):
        code, activity, pupils = start_class(server, workers, teacher, {here: 0, there: 2})
        acked = {answer(pupil, activity) for pupil in pupils}
        assert not acked & committed(data_dir)
        os.kill(there, signal.SIGKILL)  # its journal holds them; gunicorn starts a new worker in its slot
        wait_until(lambda: acked <= committed(data_dir), timeout=60, what="the dead worker's answers replayed")
        wait_until(lambda: len(psutil.Process(server.proc.pid).children()) == 2, what="the replacement worker")
        workers = psutil.Process(server.proc.pid).children()
        new = next(w.pid for w in workers if w.pid != here)
        late = place(server.url, workers, {here: 0, new: 1})[0]
        assert late.call("join", {"code": code, "name": "Tard"})["ok"]
        late_sid = answer(late, activity)  # the replacement journals in the slot it took over
        assert late_sid not in committed(data_dir)
        conn = http_on(server.url, workers, here)
        try:
            document = json.loads(get(conn, f"/api/sessions/{code}/results", teacher_cookie(server.url)))
        finally:
            conn.close()
        assert {s["id"] for s in document["submissions"]} == acked | {late_sid}


def test_with_redis_down_no_acked_answer_is_lost_and_new_ones_are_read_at_once(tmp_path, data_dir):
    with box(tmp_path, data_dir) as (server, redis_server, workers, teacher, here, there):
        code, activity, pupils = start_class(server, workers, teacher, {here: 1, there: 2})
        near = [p for p in pupils if worker_of(p, workers) == here]
        far = [p for p in pupils if worker_of(p, workers) == there]
        before = {answer(far[0], activity)}  # journaled by the other worker before the outage
        assert not before & committed(data_dir)
        redis_server.stop()
        during = {answer(pupil, activity) for pupil in near + far[1:]}  # committed before their acks
        assert during <= committed(data_dir)
        conn = http_on(server.url, workers, here)
        try:
            document = json.loads(get(conn, f"/api/sessions/{code}/results", teacher_cookie(server.url)))
        finally:
            conn.close()
        assert during <= {s["id"] for s in document["submissions"]}
        wait_until(lambda: "reading the answers committed so far" in server.log.read_text(errors="replace"),
                   what="the teacher's worker saying it read what was committed")
        server.kill9()  # a power cut during the outage
    with LiveServer(data_dir, command="web"):
        pass  # one worker, no Redis: every worker's journal replayed at its start
    assert before | during <= committed(data_dir)
