"""Tap-join takeovers across two real gunicorn workers and a real Redis: a teacher on one, the new device on the other."""

from __future__ import annotations

import pytest

from classbox.classes import store as classes
from classbox.storage import open_database
from tests.helpers import wait_until
from tests.runtime.test_workers_redis import data_dir, place  # noqa: F401 (data_dir: a fixture)
from tests.runtime.test_workers_shared import box

pytestmark = pytest.mark.slow


def make_class(data_dir) -> tuple[int, list[dict]]:
    db = open_database(data_dir)
    try:
        teacher_id = db.execute("SELECT id FROM users WHERE login = 'mme.martin'").fetchone()[0]
        made = classes.create_class(db, teacher_id, "CP bleu", ["CP"])
        return made["id"], classes.add_members(db, teacher_id, made["id"], [{"name": "Léa"}, {"name": "Tom"}])
    finally:
        db.conn.close()


def lea_asks_on_the_other_worker(server, workers, teacher, class_id: int, lea: dict, here: int, there: int):
    """Léa joined on `here`; her new tablet on `there` asks the teacher: (old tablet, new tablet, the answer)."""
    code = teacher.call("open_session", {"title": "Appel", "class_id": class_id})["code"]
    (lea_old,) = place(server.url, workers, {here: 1, there: 0})
    assert lea_old.call("join", {"code": code, "member_id": lea["id"]})["ok"]
    (lea_new,) = place(server.url, workers, {here: 0, there: 1})
    asked = lea_new.call("join", {"code": code, "member_id": lea["id"]})
    assert asked["error"] == "ask_teacher"
    return lea_old, lea_new, asked


def test_a_takeover_asked_on_one_worker_is_listed_and_answered_by_the_teacher_on_another(tmp_path, data_dir):
    class_id, (lea, tom) = make_class(data_dir)
    with box(tmp_path, data_dir) as (server, _, workers, teacher, here, there):
        code = teacher.call("open_session", {"title": "Appel", "class_id": class_id})["code"]
        lea_old, tom_old = place(server.url, workers, {here: 2, there: 0})
        assert lea_old.call("join", {"code": code, "member_id": lea["id"]})["ok"]
        assert tom_old.call("join", {"code": code, "member_id": tom["id"]})["ok"]
        lea_new, tom_new = place(server.url, workers, {here: 0, there: 2})
        asked = lea_new.call("join", {"code": code, "member_id": lea["id"]})
        refused = tom_new.call("join", {"code": code, "member_id": tom["id"]})
        assert asked["error"] == refused["error"] == "ask_teacher"
        listed = teacher.call("pending_takeovers", {})
        assert [r["request_id"] for r in listed["requests"]] == [asked["detail"], refused["detail"]]
        assert [r["name"] for r in listed["requests"]] == ["Léa", "Tom"]
        assert teacher.call("answer_takeover", {"request_id": asked["detail"], "allow": True}) == {
            "ok": True, "allowed": True}
        joined = lea_new.wait_for("joined")
        assert joined["ok"] and joined["name"] == "Léa"
        assert lea_old.wait_for("replaced")["message"]
        wait_until(lambda: not lea_old.sio.connected, what="Léa's old tablet cut")
        assert teacher.call("answer_takeover", {"request_id": refused["detail"], "allow": False}) == {
            "ok": True, "allowed": False}
        assert tom_new.wait_for("join_refused")["message"]
        assert tom_old.sio.connected and not [n for n, _ in tom_old.events if n == "replaced"]
        assert teacher.call("pending_takeovers", {})["requests"] == []
        again = teacher.call("answer_takeover", {"request_id": asked["detail"], "allow": True})
        assert again == {**again, "ok": False, "error": "unknown_request"}
        # the new tablet is Léa now, on its own worker: it gets the teacher's push
        pushed = teacher.call("push", {"type": "quiz", "kind": "number", "question": "2 + 2 ?"})["activity"]
        assert lea_new.wait_for("activity")["id"] == pushed["id"]


def test_a_takeover_answer_the_asking_worker_is_slow_to_apply_is_not_called_gone(tmp_path, data_dir):
    import os
    import signal

    class_id, (lea, _) = make_class(data_dir)
    with box(tmp_path, data_dir) as (server, _, workers, teacher, here, there):
        lea_old, lea_new, asked = lea_asks_on_the_other_worker(server, workers, teacher, class_id, lea, here, there)
        os.kill(there, signal.SIGSTOP)  # the asking worker stalls (a long class batch, a swapping Pi)
        try:
            answer = teacher.call("answer_takeover", {"request_id": asked["detail"], "allow": True})
        finally:
            os.kill(there, signal.SIGCONT)
        assert answer["ok"] is False and answer["error"] == "no_reply" and answer["message"], answer
        # it was let in a moment later: the teacher's dashboard hears so, and the old tablet is out
        assert lea_new.wait_for("joined")["name"] == "Léa"
        done = teacher.wait_for("takeover_done")
        assert done == {"request_id": asked["detail"], "allowed": True, "outcome": "allowed"}
        assert lea_old.wait_for("replaced")["message"]
        assert teacher.call("pending_takeovers", {})["requests"] == []


def test_a_takeover_answer_while_the_asking_worker_resubscribes_is_retry_not_gone(tmp_path, data_dir):
    """PUBLISH reaches nobody while a live worker is between two subscriptions: the request stays, the teacher
    retries, and once that worker listens again the answer lets the device in."""
    import os
    import signal

    import redis

    class_id, (lea, _) = make_class(data_dir)
    with box(tmp_path, data_dir) as (server, redis_server, workers, teacher, here, there):
        lea_old, lea_new, asked = lea_asks_on_the_other_worker(server, workers, teacher, class_id, lea, here, there)
        os.kill(there, signal.SIGSTOP)  # stalled, and its bus subscription lost (a Redis blip): not yet back
        try:
            with redis.Redis.from_url(redis_server.url) as client:
                before = {c["id"] for c in client.client_list(_type="pubsub")}
                client.client_kill_filter(_type="pubsub", skipme=True)
                wait_until(lambda: client.pubsub_channels(f"classbox:bus:{there}-*") == [],
                           what="the stalled worker's channel without its subscriber")
            answer = teacher.call("answer_takeover", {"request_id": asked["detail"], "allow": True})
            assert answer["ok"] is False and answer["error"] == "retry", answer
            assert [r["request_id"] for r in teacher.call("pending_takeovers", {})["requests"]] == [asked["detail"]]
            assert not [d for n, d in teacher.events if n == "takeover_done"]
        finally:
            os.kill(there, signal.SIGCONT)
        with redis.Redis.from_url(redis_server.url) as client:
            subscribed_again(client, before)
        assert teacher.call("answer_takeover", {"request_id": asked["detail"], "allow": True}) == {
            "ok": True, "allowed": True}
        assert lea_new.wait_for("joined")["name"] == "Léa"
        assert teacher.wait_for("takeover_done")["outcome"] == "allowed"


def resubscribed_after_a_blip(redis_url: str) -> None:
    """Drop every pubsub connection (a Redis blip), then wait until both workers' subscribers are back."""
    import redis

    with redis.Redis.from_url(redis_url) as client:
        before = {c["id"] for c in client.client_list(_type="pubsub")}
        assert len(before) == 4  # per worker: the classbox bus and python-socketio's queue
        assert client.client_kill_filter(_type="pubsub", skipme=True) == 4
        subscribed_again(client, before)


def subscribed_again(client, before: set[str]) -> None:
    """Wait until both workers' bus and Socket.IO queue listen again, on connections not in `before`."""
    wait_until(lambda: len([c for c in client.client_list(_type="pubsub") if c["id"] not in before]) == 4
               and len(client.pubsub_channels("classbox:bus:*")) == 3
               and client.pubsub_numsub("classbox-socketio")[0][1] == 2,
               timeout=20, what="both workers subscribed again, bus and Socket.IO queue")


def test_a_takeover_answered_after_a_redis_blip_lets_the_device_in(tmp_path, data_dir):
    class_id, (lea, tom) = make_class(data_dir)
    with box(tmp_path, data_dir) as (server, redis_server, workers, teacher, here, there):
        code = teacher.call("open_session", {"title": "Appel", "class_id": class_id})["code"]
        (lea_old,) = place(server.url, workers, {here: 1, there: 0})
        assert lea_old.call("join", {"code": code, "member_id": lea["id"]})["ok"]
        lea_new, tom_there = place(server.url, workers, {here: 0, there: 2})
        assert tom_there.call("join", {"code": code, "member_id": tom["id"]})["ok"]
        asked = lea_new.call("join", {"code": code, "member_id": lea["id"]})
        assert asked["error"] == "ask_teacher"
        resubscribed_after_a_blip(redis_server.url)
        assert teacher.call("answer_takeover", {"request_id": asked["detail"], "allow": True}) == {
            "ok": True, "allowed": True}
        assert lea_new.wait_for("joined")["name"] == "Léa"
        assert teacher.wait_for("takeover_done") == {"request_id": asked["detail"], "allowed": True,
                                                      "outcome": "allowed"}
        assert lea_old.wait_for("replaced")["message"]
        # the teacher's pushes still reach the pupils of the other worker
        pushed = teacher.call("push", {"type": "quiz", "kind": "number", "question": "2 + 2 ?"})["activity"]
        assert lea_new.wait_for("activity")["id"] == tom_there.wait_for("activity")["id"] == pushed["id"]


def test_a_push_right_after_a_redis_blip_reaches_the_pupils_of_every_worker(tmp_path, data_dir):
    with box(tmp_path, data_dir) as (server, redis_server, workers, teacher, here, there):
        code = teacher.call("open_session", {"title": "Après la coupure"})["code"]
        pupils = place(server.url, workers, {here: 1, there: 2})
        for i, pupil in enumerate(pupils):
            assert pupil.call("join", {"code": code, "name": f"Élève{i}"})["ok"]
        resubscribed_after_a_blip(redis_server.url)
        pushed = teacher.call("push", {"type": "quiz", "kind": "number", "question": "3 + 4 ?"})["activity"]
        assert [p.wait_for("activity")["id"] for p in pupils] == [pushed["id"]] * 3
