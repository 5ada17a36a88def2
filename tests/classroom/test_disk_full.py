"""A full disk and hand-ins: a clear `storage` refusal, nothing left behind, a free-space floor that
keeps room for answers, leftovers swept at start, files written before the writer's transaction."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from classbox import create_app
from tests.classroom.conftest import QUIZ_SPEC, ack, new_id, received
from tests.classroom.test_handins import PNG, upload
from tests.helpers import fill_disk, make_config, tmpfs, wait_until

HANDIN = {"type": "handin", "instructions": "Votre schéma", "accept": ["text", "photo", "file"]}


def files_under(data_dir: Path) -> list[str]:
    """Every file below the data dir's handins/ folder (temp files included)."""
    root = Path(data_dir) / "handins"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def small_disk(tmp_path):
    """A real 16 MB filesystem (tmpfs), unmounted afterwards."""
    with tmpfs(tmp_path / "disk", 16) as mount:
        yield mount


class TestOnAFullDisk:
    @pytest.fixture
    def config(self, small_disk):
        return make_config(small_disk / "data")

    def test_a_hand_in_gets_the_storage_refusal_and_leaves_no_bytes(self, app, teacher_sio, pupil):
        teacher, code = teacher_sio
        _, joined = pupil(code, "Léa")
        activity = ack(teacher, "push", HANDIN)["activity"]
        app.config["CLASSBOX"]["classroom"]["handin_min_free_mb"] = 0  # no floor: the disk itself refuses
        data_dir = Path(app.config["CLASSBOX"].data_dir)
        filler = fill_disk(data_dir)
        sid = new_id()
        refused = upload(app.test_client(), joined, activity, PNG * 100, submission_id=sid)
        assert refused.status_code == 507 and refused.get_json()["error"] == "storage"
        assert "enregistrer" in refused.get_json()["message"]
        assert files_under(data_dir) == []  # no .<id>.png.tmp left behind
        filler.unlink()  # the technician frees some room: the same hand-in, sent again, arrives
        assert upload(app.test_client(), joined, activity, PNG * 100, submission_id=sid).status_code == 200


def test_a_failed_commit_gets_the_storage_refusal_and_removes_the_file(app, teacher_sio, pupil, monkeypatch):
    teacher, code = teacher_sio
    _, joined = pupil(code, "Léa")
    activity = ack(teacher, "push", HANDIN)["activity"]
    writer = app.extensions["classroom"].writer

    def disk_full_at_commit(job):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(writer, "run", disk_full_at_commit)
    refused = upload(app.test_client(), joined, activity, PNG)
    assert refused.status_code == 507 and refused.get_json()["error"] == "storage"
    assert files_under(app.config["CLASSBOX"].data_dir) == []


def test_a_hand_in_refused_by_its_activity_leaves_no_file(app, teacher_sio, pupil):
    teacher, code = teacher_sio
    _, joined = pupil(code, "Léa")
    files_only = ack(teacher, "push", {**HANDIN, "accept": ["file"]})["activity"]
    assert upload(app.test_client(), joined, files_only, PNG).status_code == 400
    assert files_under(app.config["CLASSBOX"].data_dir) == []


def test_leftovers_are_swept_at_start(app, config, teacher_sio, pupil):
    teacher, code = teacher_sio
    _, joined = pupil(code, "Léa")
    activity = ack(teacher, "push", HANDIN)["activity"]
    assert upload(app.test_client(), joined, activity, PNG).status_code == 200
    data_dir = Path(config.data_dir)
    [kept] = files_under(data_dir)
    folder = (data_dir / "handins" / kept).parent
    old = time.time() - 3600
    for name in (f".{new_id()}.jpg.tmp", f"{new_id()}.png", f".{new_id()}.png.1a2b3c4d.tmp"):
        (folder / name).write_bytes(PNG)
        os.utime(folder / name, (old, old))
    os.utime(data_dir / "handins" / kept, (old, old))
    young = folder / f".{new_id()}.png.5e6f7a8b.tmp"  # an upload on its way in another process
    young.write_bytes(PNG)
    create_app(config)  # the box starts again
    assert files_under(data_dir) == sorted([kept, str(young.relative_to(data_dir / "handins"))])


def test_hand_in_files_are_durable_before_the_writers_transaction(app, teacher_sio, pupil):
    """The file is written and fsynced while the writer is busy with others: never inside its transaction."""
    teacher, code = teacher_sio
    _, joined = pupil(code, "Léa")
    activity = ack(teacher, "push", HANDIN)["activity"]
    writer, data_dir = app.extensions["classroom"].writer, app.config["CLASSBOX"].data_dir
    started, gate = threading.Event(), threading.Event()
    writer.queue(lambda _db: (started.set(), gate.wait(60)))  # longer than the poll below
    assert started.wait(10)
    results = []
    sending = threading.Thread(target=lambda: results.append(upload(app.test_client(), joined, activity, PNG)))
    sending.start()
    try:
        assert wait_until(lambda: any(name.endswith(".png") and not name.split("/")[-1].startswith(".")
                                      for name in files_under(data_dir)), 10, 0.01)
        assert not results  # not acked yet: the database has not recorded it
    finally:
        gate.set()
        sending.join()
    assert results[0].status_code == 200


def test_below_the_floor_hand_ins_are_refused_while_answers_and_pushes_keep_working(app, client, teacher_sio,
                                                                                  pupil):
    teacher, code = teacher_sio
    app.config["CLASSBOX"]["classroom"]["handin_min_free_mb"] = 10 ** 9  # [classroom] handin_min_free_mb
    lea, joined = pupil(code, "Léa")
    activity = ack(teacher, "push", HANDIN)["activity"]
    received(teacher)
    refused = upload(app.test_client(), joined, activity, PNG)
    assert refused.status_code == 507 and refused.get_json()["error"] == "storage_full"
    assert "presque pleine" in refused.get_json()["message"]
    assert files_under(app.config["CLASSBOX"].data_dir) == []
    [told] = received(teacher, "storage")  # the dashboard is told at once
    assert told["handins"] is False and told["floor_mb"] == 10 ** 9
    assert ack(teacher, "watch", {"code": code})["storage"]["handins"] is False
    text = ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": {"text": "ok"}})
    assert text["ok"], text
    quiz = ack(teacher, "push", QUIZ_SPEC)["activity"]
    assert ack(lea, "submit", {"activity_id": quiz["id"], "submission_id": new_id(), "answer": 1})["ok"]
    health = client.get("/api/health").get_json()
    [alert] = [a for a in health["alerts"] if a["id"] == "handins"]
    assert alert["level"] == "warn" and "refusés" in alert["message"]
