"""Continuity through the real classroom: members tap to join two sessions of their class, answer, and
the teacher's pages show both sessions for each pupil."""

from __future__ import annotations

import re
import uuid
from html import unescape

from tests.classes.tap_helpers import class_session, device, klass, tap  # noqa: F401  (fixtures)
from tests.helpers import QUIZ_SPEC, ack


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def answer(sio, activity_id: str, choice: int) -> None:
    done = ack(sio, "submit", {"activity_id": activity_id, "submission_id": str(uuid.uuid4()), "answer": choice})
    assert done["ok"], done


def test_a_pupils_work_follows_them_from_one_session_to_the_next(class_session, klass, device, client,
                                                               socketio_client):
    teacher, code = class_session
    lea, tom = klass["members"]["Léa"], klass["members"]["Tom"]
    first = {name: device() for name in ("Léa", "Tom")}
    assert tap(first["Léa"], code, lea)["ok"] and tap(first["Tom"], code, tom)["ok"]
    activity = ack(teacher, "push", QUIZ_SPEC)["activity"]
    answer(first["Léa"], activity["id"], 1)   # right
    answer(first["Tom"], activity["id"], 0)   # wrong
    assert ack(teacher, "close_session", {"code": code})["ok"]

    second_teacher = socketio_client()
    reopened = ack(second_teacher, "open_session", {"title": "Calcul", "class_id": klass["id"]})
    assert reopened["ok"], reopened
    tablet = device()  # Léa on another tablet, Tom absent
    assert tap(tablet, reopened["code"], lea)["ok"]
    activity = ack(second_teacher, "push", QUIZ_SPEC)["activity"]
    answer(tablet, activity["id"], 2)  # wrong, then she changes her mind: the latest answer counts
    answer(tablet, activity["id"], 1)

    base = f"/teacher/classes/{klass['id']}"
    page = text_of(client.get(f"{base}/members/{lea['id']}/progress").get_data(as_text=True))
    assert "Séances 2 sur 2" in page and "Réponses justes 2 sur 2 (100 %)" in page
    assert "Lecture" in page and "Calcul" in page
    page = text_of(client.get(f"{base}/members/{tom['id']}/progress").get_data(as_text=True))
    assert "Séances 1 sur 2" in page and "Réponses justes 0 sur 1 (0 %)" in page and "absent(e)" in page
    page = text_of(client.get(f"{base}/progress").get_data(as_text=True))
    assert "2 séance(s)" in page and "2 + 2 ?" in page.split("Questions posées plusieurs fois")[1]
