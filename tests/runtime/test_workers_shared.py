"""Live state shared by two real gunicorn workers through a real Redis: presence, limits, the login throttle."""

from __future__ import annotations

import contextlib
import http.client
import json
import re

import psutil
import pytest

from tests.classroom.test_live_server import Device, teacher_cookie
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
            yield server, redis_server, workers, teacher, here, next(w.pid for w in workers if w.pid != here)


def online_in_watch(teacher: Device, code: str) -> dict[str, bool]:
    return {p["name"]: p["online"] for p in teacher.call("watch", {"code": code})["pupils"]}


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
