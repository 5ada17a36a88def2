"""Group commit, privacy hooks, retention and the live counts kept for health."""

import json
import threading
import time
from pathlib import Path

import pytest

from classbox.classroom import privacy_erase, privacy_export
from classbox.classroom.privacy import purge_closed
from classbox.classroom.writer import GroupWriter
from classbox.storage import open_database
from classbox.storage.core import get_state

from tests.classroom.conftest import ack, new_id, received
from tests.classroom.test_handins import PNG, upload


def test_group_writer_batches_concurrent_writes_into_few_commits(tmp_path, app):
    data_dir = Path(app.config["CLASSBOX"].data_dir)
    writer = GroupWriter(data_dir, emulate_commit_ms=20)
    done = []

    def write(i):
        writer.run(lambda db: db.execute("INSERT INTO box_state (key, value) VALUES (?, '1')", [f"k{i}"]))
        done.append(i)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(done) == list(range(60))
    assert writer.batches < 30  # many writes shared each 20 ms commit
    db = open_database(data_dir)
    assert db.execute("SELECT COUNT(*) FROM box_state WHERE key LIKE 'k%'").fetchone()[0] == 60
    db.conn.close()


def test_a_failing_job_fails_alone(app):
    writer = GroupWriter(Path(app.config["CLASSBOX"].data_dir))
    writer.run(lambda db: db.execute("INSERT INTO box_state (key, value) VALUES ('a', '1')"))
    with pytest.raises(Exception):
        writer.run(lambda db: db.execute("INSERT INTO box_state (key, value) VALUES ('a', '2')"))
    assert writer.run(lambda db: db.execute("SELECT value FROM box_state WHERE key = 'a'").fetchone()[0]) == "1"


def test_privacy_export_and_erase(app, teacher_sio, pupil, db):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    tom, other = pupil(code, "Tom")
    quiz = ack(teacher, "push", {"type": "quiz", "kind": "text", "question": "?"})["activity"]
    ack(lea, "submit", {"activity_id": quiz["id"], "submission_id": new_id(), "answer": "ma réponse"})
    ack(tom, "submit", {"activity_id": quiz["id"], "submission_id": new_id(), "answer": "autre"})
    handin = ack(teacher, "push", {"type": "handin", "instructions": "x", "accept": ["photo"]})["activity"]
    assert upload(app.test_client(), joined, handin, PNG).status_code == 200
    exported = privacy_export(db, joined["pupil_id"])
    assert exported["pupils"][0]["name"] == "Léa"
    assert [s["answer"] for s in exported["submissions"]][0] == "ma réponse"
    files = list(Path(app.config["CLASSBOX"].data_dir).glob("handins/**/*.png"))
    assert len(files) == 1
    assert privacy_erase(db, joined["pupil_id"]) == 3
    assert privacy_export(db, joined["pupil_id"]) == {"pupils": [], "submissions": []}
    assert not files[0].exists()
    assert privacy_export(db, other["pupil_id"])["submissions"][0]["answer"] == "autre"


def test_closed_sessions_are_purged_after_the_retention(app, teacher_sio, pupil, db):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    handin = ack(teacher, "push", {"type": "handin", "instructions": "x", "accept": ["photo"]})["activity"]
    upload(app.test_client(), joined, handin, PNG)
    assert purge_closed(db, 30) == 0  # still open
    ack(teacher, "close_session")
    assert purge_closed(db, 30) == 0  # closed today
    assert purge_closed(db, 30, now=time.time() + 31 * 86400) == 1
    assert db["classroom_pupils"].count == 0 and db["classroom_submissions"].count == 0
    assert not list(Path(app.config["CLASSBOX"].data_dir).glob("handins/**/*.png"))


def test_live_counts_are_written_for_health(app, teacher_sio, pupil, db):
    _, code = teacher_sio
    pupil(code, "Léa")
    pupil(code, "Tom")
    deadline = time.monotonic() + 15
    state = None
    while time.monotonic() < deadline:
        state = get_state(db, "classroom.live")
        if state == {"pupils": 2, "teachers": 1, "sessions": 1}:
            break
        time.sleep(0.2)
    assert state == {"pupils": 2, "teachers": 1, "sessions": 1}


def test_agent_offers_the_retention_service(app, config):
    from classbox.classroom import agent_services

    [service] = agent_services(config)
    assert service.name == "classroom-retention"
    stop = threading.Event()
    stop.set()
    service.run(stop)  # one pass, then returns
