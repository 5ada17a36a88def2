"""A real server (gunicorn, gevent) with python-socketio clients: join, push, submit, reconnect, kill -9."""

from __future__ import annotations

import json
import threading
import uuid
import weakref

import httpx
import pytest
import socketio

from classbox.auth.users import add_user
from classbox.storage import open_database
from classbox.web.datadir import prepare_data_dir
from tests.helpers import LiveServer, make_config

NS = "/classroom"
pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "data"
    config = make_config(path)
    db = prepare_data_dir(config)
    add_user(db, "mme.martin", "teacher", "correct-horse-1")
    db.conn.close()
    return path


def teacher_cookie(url: str) -> str:
    with httpx.Client(base_url=url) as http:
        form = http.get("/login").text
        csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
        response = http.post("/login", data={"login": "mme.martin", "password": "correct-horse-1",
                                             "csrf_token": csrf})
        assert response.status_code == 302
        return f"classbox_session={http.cookies['classbox_session']}"


class Device:
    """One tablet: a python-socketio client that records the events it receives."""

    made: "weakref.WeakSet[Device]" = weakref.WeakSet()  # for close_devices

    def __init__(self, url: str, cookie: str | None = None) -> None:
        self.url = url
        Device.made.add(self)
        self.events: list[tuple[str, dict]] = []
        self.got = threading.Event()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record, namespace=NS)
        self.sio.connect(url, namespaces=[NS], transports=["websocket"],
                         headers={"Cookie": cookie} if cookie else {}, wait_timeout=10)

    def _record(self, name, data=None):
        self.events.append((name, data))
        self.got.set()

    def call(self, event: str, data: dict) -> dict:
        return self.sio.call(event, data, namespace=NS, timeout=15)

    def wait_for(self, name: str, nth: int = 1) -> dict:
        """The nth event called `name` (waiting up to 10 s for it)."""
        for _ in range(100):
            found = [d for n, d in self.events if n == name]
            if len(found) >= nth:
                return found[nth - 1]
            self.got.wait(0.1)
            self.got.clear()
        raise AssertionError(f"no {name} event; got {self.events}")

    def close(self) -> None:
        self.sio.disconnect()


def close_devices(url: str) -> None:
    """Disconnect every device still connected to the server at url: stopped afterwards, gunicorn
    exits at once instead of waiting its graceful_timeout (5 s) for their websockets."""
    for device in list(Device.made):
        if device.url == url and device.sio.connected:
            device.close()


def test_join_push_submit_reconnect_on_a_real_server(data_dir):
    with LiveServer(data_dir) as server:
        teacher = Device(server.url, teacher_cookie(server.url))
        code = teacher.call("open_session", {"title": "Live"})["code"]
        pupil = Device(server.url)
        joined = pupil.call("join", {"code": code, "name": "Léa"})
        assert joined["ok"] and teacher.wait_for("presence")["online"] is True
        pushed = teacher.call("push", {"type": "quiz", "kind": "single", "question": "?", "choices": ["a", "b"]})
        activity = pupil.wait_for("activity")
        assert activity["id"] == pushed["activity"]["id"]
        submission_id = str(uuid.uuid4())
        first = pupil.call("submit", {"activity_id": activity["id"], "submission_id": submission_id, "answer": 1})
        assert first == {"ok": True, "submission_id": submission_id, "duplicate": False}
        assert [s["submission_id"] for s in teacher.wait_for("submission")] == [submission_id]
        pupil.close()  # Wi-Fi drop
        assert teacher.wait_for("presence", 2)["online"] is False
        again = Device(server.url)
        back = again.call("join", {"code": code, "token": joined["token"]})
        assert back["pupil_id"] == joined["pupil_id"] and back["activity"]["id"] == activity["id"]
        resent = again.call("submit", {"activity_id": activity["id"], "submission_id": submission_id, "answer": 1})
        assert resent["ok"] and resent["duplicate"] is True
        again.close()
        teacher.close()


def test_an_acked_submission_survives_kill_9(data_dir):
    server = LiveServer(data_dir).start()
    try:
        teacher = Device(server.url, teacher_cookie(server.url))
        code = teacher.call("open_session", {"title": "Coupure"})["code"]
        pupils = [Device(server.url) for _ in range(5)]
        for i, p in enumerate(pupils):
            assert p.call("join", {"code": code, "name": f"Eleve{i}"})["ok"]
        activity = teacher.call("push", {"type": "quiz", "kind": "number", "question": "?"})["activity"]
        acked = []
        for i, p in enumerate(pupils):
            sid = str(uuid.uuid4())
            if p.call("submit", {"activity_id": activity["id"], "submission_id": sid, "answer": i})["ok"]:
                acked.append(sid)
        assert len(acked) == 5
    finally:
        server.kill9()  # power cut right after the acks
    with LiveServer(data_dir) as again:  # the box starts again: acked answers are there, and queued
        db = open_database(data_dir)
        try:
            stored = {r[0] for r in db.execute("SELECT id FROM classroom_submissions").fetchall()}
            queued = db.execute("SELECT COUNT(*) FROM outbox WHERE payload LIKE '%answered%'").fetchone()[0]
        finally:
            db.conn.close()
        with httpx.Client(base_url=again.url, headers={"Cookie": teacher_cookie(again.url)}) as http:
            document = http.get(f"/api/sessions/{code}/results").json()
    assert set(acked) <= stored and queued == 5
    assert {s["id"] for s in document["submissions"]} == set(acked)


def _polling_session(http: httpx.Client) -> str:
    """An Engine.IO long-polling session (handshake, then the /classroom namespace); its sid."""
    opened = http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    sid = json.loads(opened.text[1:])["sid"]
    assert http.post("/socket.io/", params={"EIO": "4", "transport": "polling", "sid": sid},
                     content="40/classroom,").status_code == 200
    return sid


def test_frames_bigger_than_an_event_are_refused_before_decoding(data_dir):
    """An event is at most 64 KiB: a bigger frame closes the connection, over websocket and polling."""
    big = {"code": "ABC234", "name": "x" * 200_000}
    with LiveServer(data_dir) as server:
        flooder, closed = Device(server.url), threading.Event()
        flooder.sio.on("disconnect", lambda *reason: closed.set(), namespace=NS)
        flooder.sio.emit("join", big, namespace=NS)
        assert closed.wait(10)  # the server closed the websocket instead of decoding the frame
        if flooder.sio.eio.ws is not None:  # closed by the server: close our end of it too
            flooder.sio.eio.ws.close()
        with httpx.Client(base_url=server.url) as http:
            sid = _polling_session(http)
            params = {"EIO": "4", "transport": "polling", "sid": sid}
            http.get("/socket.io/", params=params)  # the namespace's answer
            waiting = threading.Thread(target=http.get, args=("/socket.io/",), kwargs={"params": params})
            waiting.start()  # like a browser: a long-poll GET is always waiting while it POSTs
            frame = "42/classroom," + json.dumps(["join", big])
            refused = http.post("/socket.io/", params=params, content=frame)
            waiting.join()
            assert refused.status_code == 400
        pupil = Device(server.url)  # an ordinary event still goes through
        assert pupil.call("join", {"code": "ABC234", "name": "Léa"})["error"] == "unknown_code"
        pupil.close()
