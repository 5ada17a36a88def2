"""A pupil's lesson events never force the class's pending answers into a commit of their own (SD card, acks)."""

from __future__ import annotations

import uuid

from tests.helpers import ack
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
