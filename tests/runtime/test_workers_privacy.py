"""Erasing class members (privacy) also erases their picture-secret locks and throttles in a real Redis."""

from __future__ import annotations

import re

import httpx
import pytest
import redis
from click.testing import CliRunner

from classbox.classes.secretlock import LOCK_AFTER, Locked
from classbox.classes.shared_secretlock import MEMBER_LIMIT, SharedSecretLocks
from classbox.cli import cli
from classbox.runtime.shared import shared_state
from classbox.runtime.shared_limits import SharedRateLimiter
from tests.redis_server import RedisServer
from tests.runtime.test_workers_redis import data_dir  # noqa: F401 (a fixture)
from tests.runtime.test_workers_shared import box
from tests.runtime.test_workers_takeover import make_class


def lock_out(url: str, class_id: int, members: list[dict]) -> None:
    """What a worker records for members whose secret was guessed wrong too often."""
    shared = shared_state({"workers": 2, "message_queue": url})
    try:
        locks, limit = SharedSecretLocks(shared), SharedRateLimiter(shared, MEMBER_LIMIT, 5, 1 / 60)
        for member in members:
            for _ in range(LOCK_AFTER):
                locks.wrong(Locked(member["id"], class_id, member["name"], ""))
                limit.allow(member["id"])
    finally:
        shared.client.close()


def kept(url: str, member_id: str) -> dict[str, bool]:
    """Which of a member's entries Redis holds."""
    with redis.Redis.from_url(url) as client:
        return {"wrong": bool(client.hexists("classbox:secret-wrong", member_id)),
                "locked": bool(client.hexists("classbox:secret-locked", member_id)),
                "throttle": bool(client.exists(f"classbox:limit:{MEMBER_LIMIT}:{member_id}"))}


HELD = {"wrong": True, "locked": True, "throttle": True}
GONE = {"wrong": False, "locked": False, "throttle": False}


def test_a_members_privacy_erase_forgets_its_secret_lock_and_throttle_in_redis(tmp_path, data_dir, monkeypatch):
    class_id, (lea, tom) = make_class(data_dir)
    with RedisServer(tmp_path / "redis") as server:
        lock_out(server.url, class_id, [lea, tom])
        assert kept(server.url, lea["id"]) == kept(server.url, tom["id"]) == HELD
        monkeypatch.setenv("CLASSBOX_WEB_WORKERS", "2")
        monkeypatch.setenv("CLASSBOX_WEB_MESSAGE_QUEUE", server.url)
        erased = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "privacy", "erase", "--pupil", lea["id"],
                                          "--yes"])
        assert erased.exit_code == 0, erased.output
        assert kept(server.url, lea["id"]) == GONE
        assert kept(server.url, tom["id"]) == HELD


@pytest.mark.slow
def test_deleting_a_member_or_a_class_forgets_their_secret_locks_and_throttles_on_every_worker(tmp_path, data_dir):
    class_id, (lea, tom) = make_class(data_dir)
    with box(tmp_path, data_dir) as (server, redis_server, *_):
        lock_out(redis_server.url, class_id, [lea, tom])
        with httpx.Client(base_url=server.url) as http:
            form = http.get("/login").text
            login = {"login": "mme.martin", "password": "correct-horse-1",
                     "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)}
            assert http.post("/login", data=login).status_code == 302
            page = http.get(f"/teacher/classes/{class_id}").text
            csrf = {"X-CSRFToken": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}
            gone = http.delete(f"/api/classes/{class_id}/members/{lea['id']}", headers=csrf)
            assert gone.status_code == 200, gone.text
            assert kept(redis_server.url, lea["id"]) == GONE
            assert kept(redis_server.url, tom["id"]) == HELD
            assert http.delete(f"/api/classes/{class_id}", headers=csrf).status_code == 200
        assert kept(redis_server.url, tom["id"]) == GONE
