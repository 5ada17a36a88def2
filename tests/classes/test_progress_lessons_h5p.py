"""A pupil's progress shows the lessons done at their own pace and the H5P exercises, as their score counts them."""

from __future__ import annotations

import uuid

import pytest

from classbox.auth.users import find_user
from classbox.classroom import store
from tests.classes.test_progress_csv import rows_of
from tests.classes.test_progress_pages import text_of, url, year  # noqa: F401  (fixture)

SPIDER = {"kind": "single", "question": "Combien de pattes a une araignée ?", "choices": ["six", "huit"], "correct": [1],
          "lesson": {"id": "l1", "title": "Les petites bêtes", "step": 0, "steps": 1, "release": "r" * 32}}
CAPITALS = {"resource_id": "capitales", "title": "Les capitales d'Europe"}


@pytest.fixture
def friday(db, teacher, year):  # noqa: F811
    """Friday: Léa does a released lesson at her own pace (a step asked to nobody live) and an H5P exercise."""
    me = find_user(db, teacher[0])
    with db.conn:
        session = store.create_session(db, me, "Vendredi : en autonomie", class_id=year["class"]["id"])
        lea = store.add_pupil(db, session, "Léa", 40, member_id=year["lea"]["id"])
        step = store.add_activity(db, store.new_activity(session["id"], "quiz", SPIDER, []))
        store.record_submission(db, {"id": str(uuid.uuid4()), "answer": 1}, lea, session, step, "huit", True)
        h5p = store.add_activity(db, store.new_activity(session["id"], "h5p", CAPITALS, None))
        store.record_submission(db, {"id": str(uuid.uuid4()), "answer": {"score": 2, "max": 3, "completed": True}},
                                lea, session, h5p, "", False)
        store.close_session(db, session["id"])
    return session


def test_a_pupils_page_lists_her_self_paced_lesson_and_h5p_answers(client, teacher, login, year, friday):  # noqa: F811
    login(teacher)
    page = text_of(client.get(url(year, "lea")).get_data(as_text=True))
    assert "Vendredi : en autonomie (Les petites bêtes) 1 sur 2 (50 %) 2 sur 2 0 sur 0" in page, "both asked and listed"
    assert "Combien de pattes a une araignée ? huit ✓ juste" in page
    assert "Les capitales d'Europe 2 / 3 ✗ faux" in page
    report = text_of(client.get(url(year, "lea", "report")).get_data(as_text=True))
    assert "Vendredi : en autonomie (Les petites bêtes) 1 sur 2 (50 %) 2 sur 2 0 sur 0" in report


def test_a_pupils_csv_has_her_self_paced_lesson_and_h5p_answers(client, teacher, login, year, friday):  # noqa: F811
    login(teacher)
    _, *lines = rows_of(client.get(url(year, "lea", "progress.csv")))
    friday_lines = {(line[6], line[7], line[8]) for line in lines if line[1].startswith("Vendredi")}
    assert friday_lines == {("Combien de pattes a une araignée ?", "huit", "juste"),
                            ("Les capitales d'Europe", "2 / 3", "faux")}


def test_the_class_page_counts_the_h5p_exercises_and_their_scores(client, teacher, login, year, friday):  # noqa: F811
    login(teacher)
    page = text_of(client.get(url(year)).get_data(as_text=True))
    assert "Vendredi : en autonomie (Les petites bêtes) 1 2 1 sur 2 (50 %) 0" in page, "1 present, 2 graded questions"
