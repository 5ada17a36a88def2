"""Whatever is PUBLISHed to the workers' bus on a real redis-server, a worker runs no handler on it and keeps serving."""

from __future__ import annotations

import json
import threading
import uuid

import psutil
import pytest
import redis

from classbox.classes.join_events import forwarded
from classbox.runtime.worker_bus import MAX_MESSAGE_BYTES, Malformed, WorkerBus
from tests.helpers import wait_until
from tests.classroom.test_live_server import teacher_cookie
from tests.runtime.test_shared_state import _close_clients, redis_server, worker  # noqa: F401 (fixtures)
from tests.runtime.test_workers_journal import answer, committed, get, http_on, start_class
from tests.runtime.test_workers_redis import data_dir  # noqa: F401 (a fixture)
from tests.runtime.test_workers_shared import box

TAKEOVER = {"id": "r1", "session_id": 3, "pupil_id": "p1", "member_id": "m1", "sid": "s1", "name": "Léa",
            "picture_url": "/pictograms/fox.svg", "created": 12.5, "worker": "123-abcd"}


def request(of: str, payload, **changed) -> str:
    return json.dumps({"id": uuid.uuid4().hex, "kind": of, "payload": payload, "from": "999-ffff", **changed})


def garbage(kind: str) -> list[str | bytes]:
    """What anyone who can PUBLISH to the box's Redis could send instead of a request."""
    return [b"\xff\xfe not json", "[1, 2, 3]", "null", '"settle"', "{" * 100_000 + "}" * 100_000,
            json.dumps({"kind": kind}), request(kind, [1, 2]), request(kind, "x"), request(kind, None),
            request(kind, {}, id={"a": 1}), request(kind, {}, id="../../other-key"), request(kind, {}, kind=["x"]),
            request(kind, {}, **{"from": 7}), request("no-such-kind", {}), request(kind, {}, extra=1),
            request(kind, {"pad": "x" * (MAX_MESSAGE_BYTES + 1)}), b"x" * (4 * 1024 * 1024)]


def test_garbage_on_the_bus_runs_no_handler_and_the_worker_keeps_answering(redis_server):
    asker, holder = WorkerBus(worker(redis_server)), WorkerBus(worker(redis_server))
    seen: list = []
    holder.on("settle", lambda payload: seen.append(payload) or {"ok": True})
    listening = threading.Thread(target=holder.listen_forever, daemon=True)
    listening.start()
    wait_until(lambda: holder.subscribed, what="the holder's subscription")
    messages = garbage("settle")
    for channel in (holder.channel(), holder.channel(holder.shared.worker_id)):
        for message in messages:
            assert asker.shared.client.publish(channel, message) == 1
    wait_until(lambda: holder.dropped == 2 * len(messages), what="every message read and dropped")
    assert seen == [] and listening.is_alive()
    assert asker.ask_all("settle", {}, 5) == (1, [{"ok": True}])  # still serving
    assert seen == [{}]


def test_a_takeover_answer_is_taken_only_on_the_asking_workers_own_channel(redis_server):
    asker, holder = WorkerBus(worker(redis_server)), WorkerBus(worker(redis_server))
    seen: list = []
    holder.on("takeover", lambda payload: seen.append(payload) or {"ok": True}, direct=True)
    threading.Thread(target=holder.listen_forever, daemon=True).start()
    wait_until(lambda: holder.subscribed, what="the holder's subscription")
    payload = {"request": TAKEOVER, "allow": True, "refused": "non", "replaced": "remplacé"}
    assert asker.ask_all("takeover", payload, 0.5) == (1, [])  # sent to every worker: dropped, unanswered
    assert asker.ask(holder.shared.worker_id, "takeover", payload, 5) == (1, {"ok": True})
    assert seen == [payload]


def test_a_forged_reply_is_read_as_a_failure_not_an_error(redis_server):
    asker, holder = WorkerBus(worker(redis_server)), WorkerBus(worker(redis_server))
    holder.on("settle", lambda payload: {"ok": True})
    pubsub = holder.shared.client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(holder.channel())
    try:
        wait_until(lambda: pubsub.get_message(timeout=0.1) is None and pubsub.subscribed, what="the subscription")
        got: list = []
        asking = threading.Thread(target=lambda: got.append(asker.ask_all("settle", {}, 10)))
        asking.start()
        message = wait_until(lambda: pubsub.get_message(timeout=0.1), what="the request")
        key = holder.shared.key("bus", "reply", json.loads(message["data"])["id"])
        holder.shared.client.rpush(key, b"\xff not json")
        asking.join(15)
        assert got == [(1, [{"ok": False, "error": "malformed"}])]
    finally:
        pubsub.close()


@pytest.mark.parametrize("payload", [
    {"request": TAKEOVER, "allow": "yes", "refused": "", "replaced": ""},
    {"request": {**TAKEOVER, "session_id": "3"}, "allow": True, "refused": "", "replaced": ""},
    {"request": {**TAKEOVER, "session_id": True}, "allow": True, "refused": "", "replaced": ""},
    {"request": {**TAKEOVER, "admin": 1}, "allow": True, "refused": "", "replaced": ""},
    {"request": {k: v for k, v in TAKEOVER.items() if k != "sid"}, "allow": True, "refused": "", "replaced": ""},
    {"request": [TAKEOVER], "allow": True, "refused": "", "replaced": ""},
    {"request": TAKEOVER, "allow": True, "refused": 3, "replaced": ""},
    {"request": {**TAKEOVER, "name": "x" * 5000}, "allow": True, "refused": "", "replaced": ""},
])
def test_a_takeover_answer_of_the_wrong_shape_is_refused_before_it_binds_anything(payload):
    with pytest.raises(Malformed):
        forwarded(payload)


def test_a_takeover_answer_of_the_right_shape_is_read():
    request, allow, texts = forwarded({"request": TAKEOVER, "allow": False, "refused": "non", "replaced": "r"})
    assert (request.session_id, request.sid, allow, texts) == (3, "s1", False, {"refused": "non", "replaced": "r"})


@pytest.mark.slow
def test_web_workers_fed_garbage_on_their_bus_keep_settling_for_the_teacher(tmp_path, data_dir):
    """Real gunicorn workers: after the garbage, a teacher's read still has every worker commit its answers."""
    with box(tmp_path, data_dir) as (server, redis_server, workers, teacher, here, there):
        code, activity, pupils = start_class(server, workers, teacher, {here: 0, there: 2})
        acked = {answer(pupil, activity) for pupil in pupils}
        assert not acked & committed(data_dir)
        with redis.Redis.from_url(redis_server.url) as client:
            channels = client.pubsub_channels("*:bus:*")
            assert len(channels) == 3  # every worker's, and each worker's own
            forged = request("takeover", {"request": TAKEOVER, "allow": True, "refused": "", "replaced": ""})
            for channel in channels:
                for message in garbage("settle") + garbage("takeover") + [forged]:
                    client.publish(channel, message)
        dropped = 2 * (2 * len(garbage("settle")) * 2 + 1)  # each worker: everything, but the forged takeover on
        # its own channel (well formed: its sid is no device waiting here, so `gone`)
        wait_until(lambda: server.log.read_text(errors="replace").count("worker bus: message dropped") == dropped,
                   what="every worker dropping every message")
        conn = http_on(server.url, workers, here)
        try:
            document = json.loads(get(conn, f"/api/sessions/{code}/results", teacher_cookie(server.url)))
        finally:
            conn.close()
        assert {s["id"] for s in document["submissions"]} == acked
        assert {w.pid for w in psutil.Process(server.proc.pid).children()} == {here, there}


@pytest.mark.slow
def test_a_forged_takeover_answer_cannot_rebind_a_pupils_device(tmp_path, data_dir):
    """Well formed, on the right worker's own channel, but for a device that is already a pupil: `gone`."""
    from classbox.storage import open_database
    from tests.runtime.test_workers_redis import place
    from tests.runtime.test_workers_takeover import make_class

    class_id, (lea, tom) = make_class(data_dir)
    with box(tmp_path, data_dir) as (server, redis_server, workers, teacher, here, there):
        opened = teacher.call("open_session", {"title": "Appel", "class_id": class_id})
        code = opened["code"]
        lea_tablet, tom_tablet = place(server.url, workers, {here: 0, there: 2})
        assert lea_tablet.call("join", {"code": code, "member_id": lea["id"]})["ok"]
        tom_pupil = tom_tablet.call("join", {"code": code, "member_id": tom["id"]})["pupil_id"]
        holder = next(c.decode().rsplit(":", 1)[1] for c in redis.Redis.from_url(redis_server.url).pubsub_channels(
            f"*:bus:{there}-*"))
        db = open_database(data_dir)
        session_id = db.execute("SELECT id FROM classroom_sessions WHERE code = ?", [code]).fetchone()[0]
        db.conn.close()
        forged = {**TAKEOVER, "session_id": session_id,
                  "pupil_id": tom_pupil, "member_id": tom["id"], "name": "Tom", "worker": holder,
                  "sid": lea_tablet.sio.get_sid("/classroom")}
        bus = WorkerBus(worker(redis_server))
        reply = bus.ask(holder, "takeover", {"request": forged, "allow": True, "refused": "", "replaced": ""}, 10)
        assert reply == (1, {"ok": False, "error": "gone"})
        assert not [n for n, _ in lea_tablet.events if n == "joined"] and lea_tablet.sio.connected
        assert not [n for n, _ in tom_tablet.events if n == "replaced"]
