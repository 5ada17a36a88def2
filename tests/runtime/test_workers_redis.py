"""Two real gunicorn workers joined by a real Redis: a teacher on one worker, pupils on both."""

from __future__ import annotations

import uuid

import httpx
import psutil
import pytest

from classbox.auth.users import add_user
from classbox.web.datadir import prepare_data_dir
from tests.classroom.test_live_server import Device, close_devices, teacher_cookie
from tests.helpers import LiveServer, make_config, wait_until
from tests.redis_server import RedisServer

pytestmark = pytest.mark.slow


def worker_of(device: Device, workers: list[psutil.Process]) -> int:
    """The pid of the worker holding this device's websocket (read from the kernel's socket table)."""
    port = device.sio.eio.ws.sock.getsockname()[1]
    for worker in workers:
        if any(c.raddr and c.raddr.port == port for c in worker.net_connections("tcp")):
            return worker.pid
    raise AssertionError(f"no worker holds the connection from port {port}")


def place(url: str, workers: list[psutil.Process], wanted: dict[int, int], cookie: str | None = None) -> list[Device]:
    """Connect devices until each worker pid holds `wanted[pid]` of them (the kernel picks the worker)."""
    kept: list[Device] = []
    held: dict[int, int] = {pid: 0 for pid in wanted}  # devices kept per worker (worker_of reads /proc: once each)
    for _ in range(60):
        if all(held[pid] >= n for pid, n in wanted.items()):
            return kept
        device = Device(url, cookie)
        pid = worker_of(device, workers)
        if held[pid] < wanted[pid]:
            kept.append(device)
            held[pid] += 1
        else:
            device.close()
    raise AssertionError("the kernel never gave a connection to every worker")


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "data"
    db = prepare_data_dir(make_config(path))
    add_user(db, "mme.martin", "teacher", "correct-horse-1")
    db.conn.close()
    return path


@pytest.fixture
def two_workers(tmp_path, data_dir):
    """`classbox web` with 2 workers and a real Redis; yields (server, workers, teacher, its pid, the other pid)."""
    with RedisServer(tmp_path / "redis") as redis_server:
        with LiveServer(data_dir, command="web", extra_env={
                "CLASSBOX_WEB_WORKERS": "2", "CLASSBOX_WEB_MESSAGE_QUEUE": redis_server.url}) as server:
            workers = wait_until(lambda: len(psutil.Process(server.proc.pid).children()) == 2
                                 and psutil.Process(server.proc.pid).children(), what="two workers")
            teacher = Device(server.url, teacher_cookie(server.url))
            here = worker_of(teacher, workers)
            yield server, workers, teacher, here, next(w.pid for w in workers if w.pid != here)
            close_devices(server.url)


def test_a_pupil_removed_or_a_session_closed_through_one_worker_cannot_answer_through_another(two_workers):
    server, workers, teacher, here, there = two_workers
    code = teacher.call("open_session", {"title": "Fermeture"})["code"]
    leaving, staying = place(server.url, workers, {here: 0, there: 2})
    joins = [pupil.call("join", {"code": code, "name": name}) for pupil, name in ((leaving, "Léo"), (staying, "Zoé"))]
    ids = [j["pupil_id"] for j in joins]
    activity = teacher.call("push", {"type": "quiz", "kind": "number", "question": "?"})["activity"]
    for pupil in (leaving, staying):  # the other worker has now read this session and these pupils
        pupil.wait_for("activity")
        assert pupil.call("submit", {"activity_id": activity["id"], "submission_id": str(uuid.uuid4()),
                                     "answer": 1})["ok"]
    assert teacher.call("remove_pupil", {"pupil_id": ids[0]})["ok"]
    wait_until(lambda: not leaving.sio.connected, what="the removed pupil's socket closed on the other worker")
    back = place(server.url, workers, {here: 0, there: 1})[0]
    refused = back.call("join", {"code": code, "token": joins[0]["token"]})
    assert refused["ok"] is False and refused["error"] in ("bad_token", "removed")
    assert teacher.call("close_session", {})["ok"]
    refused = staying.call("submit", {"activity_id": activity["id"], "submission_id": str(uuid.uuid4()), "answer": 2})
    assert refused == {**refused, "ok": False, "error": "closed"}


def test_a_push_reaches_pupils_on_every_worker_and_acks_stay_durable(tmp_path, data_dir):
    with RedisServer(tmp_path / "redis") as redis_server:
        server = LiveServer(data_dir, command="web", extra_env={
            "CLASSBOX_WEB_WORKERS": "2", "CLASSBOX_WEB_MESSAGE_QUEUE": redis_server.url}).start()
        try:
            workers = wait_until(lambda: len(psutil.Process(server.proc.pid).children()) == 2
                                 and psutil.Process(server.proc.pid).children(), what="two workers")
            pids = [w.pid for w in workers]
            cookie = teacher_cookie(server.url)
            teacher = Device(server.url, cookie)
            here = worker_of(teacher, workers)
            there = next(pid for pid in pids if pid != here)
            code = teacher.call("open_session", {"title": "Deux cœurs"})["code"]
            pupils = place(server.url, workers, {here: 2, there: 2})
            for i, pupil in enumerate(pupils):
                assert pupil.call("join", {"code": code, "name": f"Élève{i}"})["ok"]
            # presence of pupils on the other worker reached the teacher through Redis
            wait_until(lambda: sum(1 for n, d in teacher.events if n == "presence" and d["online"]) >= 4,
                       what="four pupils online on the teacher's screen")
            pushed = teacher.call("push", {"type": "quiz", "kind": "number", "question": "3 × 4 ?"})["activity"]
            assert [p.wait_for("activity")["id"] for p in pupils] == [pushed["id"]] * 4
            acked = []
            for i, pupil in enumerate(pupils):
                sid = str(uuid.uuid4())
                answer = pupil.call("submit", {"activity_id": pushed["id"], "submission_id": sid, "answer": 12 + i})
                assert answer == {"ok": True, "submission_id": sid, "duplicate": False}
                acked.append(sid)
            wait_until(lambda: {s["submission_id"] for n, d in teacher.events if n == "submission" for s in d}
                       >= set(acked), what="every answer on the teacher's screen, whichever worker took it")
            assert {worker_of(p, workers) for p in pupils} == set(pids)
        finally:
            server.kill9()  # a power cut right after the acks, both workers at once
    with LiveServer(data_dir, command="web") as again:  # one worker, no Redis: the acked answers are there
        with httpx.Client(base_url=again.url, headers={"Cookie": teacher_cookie(again.url)}) as http:
            document = http.get(f"/api/sessions/{code}/results").json()
    assert {s["id"] for s in document["submissions"]} == set(acked)
