"""A teacher's read over Redis while another worker is journaling an answer (real gunicorn workers, real Redis)."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from tests.classroom.test_live_server import teacher_cookie
from tests.helpers import wait_until
from tests.runtime.test_workers_journal import committed, get, http_on, start_class
from tests.runtime.test_workers_redis import data_dir  # noqa: F401 (a fixture)
from tests.runtime.test_workers_shared import box
from tests.storage.journal_scan import text_of

pytestmark = pytest.mark.slow
SLOW_SYNC_MS = "1500"  # each fdatasync of the journal as slow as a worn SD card's: the answer stays in flight


def test_an_answer_being_journaled_on_another_worker_is_in_the_teachers_results(tmp_path, data_dir):
    """The other worker settles behind the batch in flight (its journal record written, not yet acked)."""
    with box(tmp_path, data_dir, CLASSBOX_CLASSROOM_EMULATE_COMMIT_MS=SLOW_SYNC_MS) as (
            server, _, workers, teacher, here, there):
        code, activity, (pupil,) = start_class(server, workers, teacher, {here: 0, there: 1})
        sid, acks = str(uuid.uuid4()), []
        submit = threading.Thread(target=lambda: acks.append(pupil.call("submit", {
            "activity_id": activity, "submission_id": sid, "answer": 12})))
        submit.start()
        wait_until(lambda: any(sid in text_of(path) for path in data_dir.glob("classroom-*.journal")),
                   what="the answer's journal record written (its fdatasync under way)")
        assert not acks and sid not in committed(data_dir)
        conn = http_on(server.url, workers, here)
        try:
            document = json.loads(get(conn, f"/api/sessions/{code}/results", teacher_cookie(server.url)))
        finally:
            conn.close()
        submit.join(15)
        assert acks == [{"ok": True, "submission_id": sid, "duplicate": False}]
        assert sid in {s["id"] for s in document["submissions"]}
