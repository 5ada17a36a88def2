"""Live state shared by two real gunicorn workers through a real Redis: presence, limits, the login throttle."""

from __future__ import annotations

import contextlib
import http.client
import json
import re

import psutil
import pytest

from tests.classroom.test_live_server import Device, close_devices, teacher_cookie
from tests.helpers import LiveServer, wait_until
from tests.redis_server import RedisServer
from tests.runtime.test_workers_redis import data_dir, place, worker_of  # noqa: F401 (data_dir: a fixture)

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def box(tmp_path, data_dir, **env: str):
    """`classbox web` with 2 workers and a real Redis: (server, redis, workers, teacher, its pid, the other pid)."""
    with RedisServer(tmp_path / "redis") as redis_server:
        with LiveServer(data_dir, command="web", extra_env={
                "CLASSBOX_WEB_WORKERS": "2", "CLASSBOX_WEB_MESSAGE_QUEUE": redis_server.url, **env}) as server:
            workers = wait_until(lambda: len(psutil.Process(server.proc.pid).children()) == 2
                                 and psutil.Process(server.proc.pid).children(), what="two workers")
            teacher = Device(server.url, teacher_cookie(server.url))
            here = worker_of(teacher, workers)
            try:
                yield server, redis_server, workers, teacher, here, next(w.pid for w in workers if w.pid != here)
            finally:
                close_devices(server.url)


def online_in_watch(teacher: Device, code: str) -> dict[str, bool]:
    got = teacher.call("watch", {"code": code})
    assert "pupils" in got, got
    return {p["name"]: p["online"] for p in got["pupils"]}


def online_when_seen(teacher: Device, code: str) -> dict[str, bool]:
    """The dashboard's view, polled: {} while the teacher's watch budget refills (a dashboard re-watches rarely)."""
    got = teacher.call("watch", {"code": code})
    return {p["name"]: p["online"] for p in got["pupils"]} if "pupils" in got else {}


def test_the_dashboard_shows_pupils_of_every_worker_online_and_removes_them_everywhere(tmp_path, data_dir):
    with box(tmp_path, data_dir) as (server, _, workers, teacher, here, there):
        code = teacher.call("open_session", {"title": "Présence"})["code"]
        placed = place(server.url, workers, {here: 1, there: 2})
        near = next(d for d in placed if worker_of(d, workers) == here)
        far, twin = (d for d in placed if worker_of(d, workers) == there)
        near_id = near.call("join", {"code": code, "name": "Léo"})["pupil_id"]
        joined = far.call("join", {"code": code, "name": "Zoé"})
        assert online_in_watch(teacher, code) == {"Léo": True, "Zoé": True}
        # Zoé's second tablet on the same worker, then on the teacher's: closing one keeps her online
        assert twin.call("join", {"code": code, "token": joined["token"]})["ok"]
        other = place(server.url, workers, {here: 1, there: 0})[0]
        assert other.call("join", {"code": code, "token": joined["token"]})["ok"]
        far.close()
        twin.close()
        assert online_in_watch(teacher, code) == {"Léo": True, "Zoé": True}
        assert not [d for n, d in teacher.events if n == "presence" and not d["online"]]
        # removing Léo from the teacher's worker closes his socket there; Zoé's on the other worker too
        zoe_far = place(server.url, workers, {here: 0, there: 1})[0]
        assert zoe_far.call("join", {"code": code, "token": joined["token"]})["ok"]
        assert teacher.call("remove_pupils", {"pupil_ids": [near_id, joined["pupil_id"]]})["removed"] == 2
        wait_until(lambda: not zoe_far.sio.connected and not other.sio.connected and not near.sio.connected,
                   what="every socket of the removed pupils closed, on both workers")


def test_health_counts_the_pupils_of_every_worker(tmp_path, data_dir):
    with box(tmp_path, data_dir) as (server, _, workers, teacher, here, there):
        code = teacher.call("open_session", {"title": "Santé"})["code"]
        pupils = place(server.url, workers, {here: 1, there: 2})
        for i, pupil in enumerate(pupils):
            assert pupil.call("join", {"code": code, "name": f"Élève{i}"})["ok"]
        live = data_dir / "run" / "classroom-live.json"
        wait_until(lambda: live.exists() and json.loads(live.read_text())["pupils"] == 3, timeout=20,
                   what=f"3 pupils in {live}")
        assert json.loads(live.read_text())["teachers"] == 1


def test_joins_from_one_address_share_one_budget_whichever_worker_takes_them(tmp_path, data_dir):
    with box(tmp_path, data_dir, CLASSBOX_CLASSROOM_JOINS_PER_IP_BURST="4") as (server, _, workers, teacher, here, there):
        code = teacher.call("open_session", {"title": "Débit"})["code"]
        pupils = place(server.url, workers, {here: 3, there: 3})
        acks = [pupil.call("join", {"code": code, "name": f"Élève{i}"}) for i, pupil in enumerate(pupils)]
        assert sum(a["ok"] for a in acks) == 4
        assert {a["error"] for a in acks if not a["ok"]} == {"rate_limited"}


def _worker_of_connection(conn: http.client.HTTPConnection, workers: list[psutil.Process]) -> int:
    port = conn.sock.getsockname()[1]
    return next(w.pid for w in workers if any(c.raddr and c.raddr.port == port for c in w.net_connections("tcp")))


def _login_attempts(url: str, workers: list[psutil.Process], per_worker: int) -> list[int]:
    """`per_worker` wrong passwords through a kept-alive connection to each worker: the statuses."""
    host, port = url.removeprefix("http://").split(":")
    conns: dict[int, http.client.HTTPConnection] = {}
    for _ in range(60):
        if len(conns) == len(workers):
            break
        conn = http.client.HTTPConnection(host, int(port), timeout=15)
        conn.request("GET", "/login")
        page = conn.getresponse()
        body = page.read().decode()
        pid = _worker_of_connection(conn, workers)
        if pid in conns:
            conn.close()
            continue
        cookie = page.getheader("Set-Cookie").split(";")[0]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
        conns[pid] = (conn, cookie, csrf)
    assert len(conns) == len(workers), "the kernel never gave a connection to every worker"
    statuses = []
    for _ in range(per_worker):
        for conn, cookie, csrf in conns.values():
            form = f"login=mme.martin&password=wrong&csrf_token={csrf}"
            conn.request("POST", "/login", body=form, headers={
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
    for conn, _, _ in conns.values():
        conn.close()
    return statuses


def test_password_guesses_spread_over_the_workers_are_throttled_as_from_one_process(tmp_path, data_dir):
    with box(tmp_path, data_dir) as (server, _, workers, *_rest):
        statuses = _login_attempts(server.url, workers, per_worker=4)  # 8 guesses; 5 are free on one process
        assert statuses[:5] == [401] * 5
        assert 429 in statuses[5:]


def _live(data_dir) -> dict:
    path = data_dir / "run" / "classroom-live.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _answer(pupil: Device, activity_id: str) -> str:
    import uuid

    sid = str(uuid.uuid4())
    assert pupil.call("submit", {"activity_id": activity_id, "submission_id": sid, "answer": 7}) == {
        "ok": True, "submission_id": sid, "duplicate": False}
    return sid


def test_redis_stopped_mid_class_each_worker_serves_its_own_then_catches_up(tmp_path, data_dir):
    import httpx

    with box(tmp_path, data_dir) as (server, redis_server, workers, teacher, here, there):
        code = teacher.call("open_session", {"title": "Panne"})["code"]
        placed = place(server.url, workers, {here: 1, there: 1})
        near = next(d for d in placed if worker_of(d, workers) == here)
        far = next(d for d in placed if worker_of(d, workers) == there)
        for pupil, name in ((near, "Léo"), (far, "Zoé")):
            assert pupil.call("join", {"code": code, "name": name})["ok"]
        wait_until(lambda: _live(data_dir).get("pupils") == 2 and _live(data_dir).get("shared") is True,
                   what="two pupils, workers joined")
        redis_server.stop()
        pushed = teacher.call("push", {"type": "quiz", "kind": "number", "question": "7 ?"})["activity"]
        assert near.wait_for("activity")["id"] == pushed["id"]  # the teacher's worker serves its own sockets
        acked = [_answer(near, pushed["id"]), _answer(far, pushed["id"])]  # the other worker acks durably too
        wait_until(lambda: _live(data_dir).get("shared") is False, timeout=20, what="health saying Redis is down")
        assert not [d for n, d in far.events if n == "activity"]
        redis_server.start()  # back, empty: presence and the missed push catch up
        assert far.wait_for("activity")["id"] == pushed["id"]
        teacher.wait_for("resync")
        wait_until(lambda: _live(data_dir).get("shared") is True and _live(data_dir).get("pupils") == 2,
                   timeout=20, what="health back to shared counts")
        assert online_in_watch(teacher, code) == {"Léo": True, "Zoé": True}
        with httpx.Client(base_url=server.url, headers={"Cookie": teacher_cookie(server.url)}) as http:
            stored = http.get(f"/api/sessions/{code}/results").json()["submissions"]
        assert set(acked) <= {s["id"] for s in stored}
        # sent again to the teacher's worker too: the same activity, which the pupil page leaves as it is
        assert {d["id"] for n, d in near.events if n == "activity"} == {pushed["id"]}


def test_a_worker_killed_9_its_pupils_reconnect_to_another_and_keep_their_place(tmp_path, data_dir):
    import os
    import signal

    with box(tmp_path, data_dir) as (server, _, workers, teacher, here, there):
        code = teacher.call("open_session", {"title": "Crash"})["code"]
        doomed = place(server.url, workers, {here: 0, there: 1})[0]
        joined = doomed.call("join", {"code": code, "name": "Zoé"})
        pushed = teacher.call("push", {"type": "quiz", "kind": "number", "question": "7 ?"})["activity"]
        assert doomed.wait_for("activity")["id"] == pushed["id"]
        acked = _answer(doomed, pushed["id"])
        os.kill(there, signal.SIGKILL)
        wait_until(lambda: not doomed.sio.connected, what="the pupil's socket cut with its worker")
        wait_until(lambda: {"Zoé": False} == online_when_seen(teacher, code), timeout=30, step=0.5,
                   what="the dead worker's pupil offline on the dashboard")
        back = Device(server.url)  # gunicorn's new worker or the teacher's: either holds the pupil's place
        again = back.call("join", {"code": code, "token": joined["token"]})
        assert again["ok"] and again["pupil_id"] == joined["pupil_id"] and again["activity"]["id"] == pushed["id"]
        duplicate = back.call("submit", {"activity_id": pushed["id"], "submission_id": acked, "answer": 7})
        assert duplicate["duplicate"] is True  # the answer acked by the dead worker is stored
        assert online_in_watch(teacher, code) == {"Zoé": True}


def test_a_member_connected_through_one_worker_is_not_taken_over_silently_through_another(tmp_path, data_dir):
    from classbox.classes import store as classes
    from classbox.storage import open_database

    db = open_database(data_dir)
    teacher_id = db.execute("SELECT id FROM users WHERE login = 'mme.martin'").fetchone()[0]
    made = classes.create_class(db, teacher_id, "CP bleu", ["CP"])
    lea = classes.add_members(db, teacher_id, made["id"], [{"name": "Léa"}])[0]
    db.conn.close()
    with box(tmp_path, data_dir) as (server, _, workers, teacher, here, there):
        code = teacher.call("open_session", {"title": "Appel", "class_id": made["id"]})["code"]
        own = place(server.url, workers, {here: 0, there: 1})[0]
        assert own.call("join", {"code": code, "member_id": lea["id"]})["ok"]
        other = place(server.url, workers, {here: 1, there: 0})[0]
        asked = other.call("join", {"code": code, "member_id": lea["id"]})
        assert asked == {**asked, "ok": False, "error": "ask_teacher"}
        assert teacher.wait_for("takeover_request")["request_id"] == asked["detail"]
        assert own.sio.connected and not [n for n, _ in own.events if n == "replaced"]
