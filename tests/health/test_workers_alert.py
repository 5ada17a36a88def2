"""Health says when the web workers' Redis does not answer (each worker then serves only its own sockets)."""

from __future__ import annotations

import json

from classbox.health import appstate
from classbox.health.alerts import CHECKS


def test_the_live_file_of_several_workers_says_whether_redis_answers(tmp_path):
    (tmp_path / appstate.LIVE_FILE).write_text(json.dumps({"pupils": 3, "teachers": 1, "sessions": 1, "shared": False}))
    assert appstate.classroom(None, tmp_path) == {"pupils": 3, "teachers": 1, "sessions": 1, "shared": False}


def test_a_redis_down_warns_and_one_worker_is_fine():
    check = CHECKS["workers"][1]
    assert check({"app": {"classroom": {"pupils": 3, "shared": False}}}, {})[0] == "warn"
    assert check({"app": {"classroom": {"pupils": 3, "shared": True}}}, {})[0] == "ok"
    assert check({"app": {"classroom": {"pupils": 3}}}, {})[0] == "ok"
