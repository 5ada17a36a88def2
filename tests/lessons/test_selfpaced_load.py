"""A pupil's lesson events never force the class's pending answers into a commit of their own (SD card, acks)."""

from __future__ import annotations

import shutil
import uuid

from classbox.storage import journal as answer_journal
from classbox.storage import open_database
from tests.helpers import ack
from tests.lessons.conftest import RIGHT, WRONG
from tests.lessons.test_selfpaced import answer, released


def test_lesson_at_with_unknown_releases_makes_no_commit(teacher_sio, pupil, save_lesson, app):
    sio, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    release, view = released(sio, lea, save_lesson())
    pupil(code, "Zoé")  # her join is acked by the journal: pending until the class's next commit
    writer = app.extensions["classroom"].writer
    commits = writer.commits
    for bogus in [uuid.uuid4().hex for _ in range(5)] + ["x" * 64, "../../etc"]:
        assert ack(tom, "lesson_at", {"release_id": bogus, "step": 0})["error"] in ("unknown_activity", "malformed")
    assert writer.commits == commits and writer.pending, "no commit made for a release nobody has"
    assert ack(tom, "lesson_at", {"release_id": release["release_id"], "step": 1})["ok"]


def test_a_pupils_lesson_state_does_not_commit_the_others_answers(teacher_sio, pupil, save_lesson, app):
    sio, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    _, view = released(sio, lea, save_lesson())
    assert answer(lea, view, 1, 2)["ok"]
    pupil(code, "Zoé")  # her join is acked by the journal: pending until the class's next commit
    writer = app.extensions["classroom"].writer
    commits = writer.commits
    for _ in range(3):
        assert ack(tom, "lesson_state", {})["release"]["results"] == {}
    assert writer.commits == commits and writer.pending
    mine = ack(lea, "lesson_state", {})["release"]["results"]  # her own answer comes with its result
    assert list(mine) == [view["steps"][1]["id"]]


def test_releasing_another_lesson_stops_the_first_for_lesson_at_too(teacher_sio, pupil, save_lesson):
    sio, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    first, _ = released(sio, lea, save_lesson())
    assert ack(lea, "lesson_at", {"release_id": first["release_id"], "step": 1})["ok"]  # the release is now cached
    released(sio, lea, save_lesson())
    sio.get_received("/classroom")
    stale = ack(lea, "lesson_at", {"release_id": first["release_id"], "step": 2})
    assert stale["ok"] is False and stale["error"] == "not_released"
    assert not [e for e in sio.get_received("/classroom") if e["name"] == "lesson_progress"]


def test_self_paced_answers_are_acked_by_the_journal_and_survive_a_power_cut(teacher_sio, pupil, save_lesson, app,
                                                                             tmp_path):
    """A class answering at its own pace costs the SD card a journal block per group, not a commit each."""
    sio, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    release, view = released(sio, lea, save_lesson())
    writer = app.extensions["classroom"].writer
    commits = writer.commits
    for step, value in enumerate(RIGHT):
        if value is not None:
            assert answer(lea, view, step, value)["ok"], step
    assert answer(tom, view, 1, WRONG[1])["ok"]
    assert writer.commits == commits and writer.pending, "acked by journal appends, committed later"
    data_dir = app.config["CLASSBOX"].data_dir
    cut = tmp_path / "cut"  # what a power cut right now leaves (every ack was fsynced before it)
    cut.mkdir()
    for name in ("classbox.db", "classbox.db-wal", answer_journal.FILENAME):
        shutil.copyfile(data_dir / name, cut / name)
    answer_journal.recover_data_dir(cut)
    db = open_database(cut)
    try:
        by_pupil = dict(db.execute("SELECT p.name, COUNT(*) FROM classroom_submissions s JOIN classroom_pupils p "
                                   "ON p.id = s.pupil_id GROUP BY p.name").fetchall())
        assert by_pupil == {"Léa": sum(v is not None for v in RIGHT), "Tom": 1}
        completed = db.execute("SELECT COUNT(*) FROM outbox WHERE payload LIKE '%\"completed\"%'").fetchone()[0]
        assert completed == 1  # Léa's score for the ENT, queued with her last answer
    finally:
        db.conn.close()
    assert ack(sio, "lesson_status", {})["release"]["release_id"] == release["release_id"]
