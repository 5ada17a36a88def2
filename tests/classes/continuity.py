"""Builders of a class's year for the progress tests: sessions opened for a class, members answering."""

from __future__ import annotations

import uuid

from classbox.classroom import store

CHOICES = ["rouge", "vert", "bleu"]


def run_session(db, teacher: dict, class_id: int | None, title: str, questions: list[str],
                answers: dict[str, list[int | None]], names: dict[str, str], handin: dict[str, str] | None = None,
                close: bool = True) -> dict:
    """A session for `class_id`: single-choice `questions` (the right choice is "vert", index 1) answered by
    members (a session without a class: pupils who typed the member's name, not the member; answers[member_id][i]: a choice index, None for no answer); `handin`: member id -> text handed in."""
    with db.conn:
        session = store.create_session(db, teacher, title, class_id=class_id)
        pupils = {m: store.add_pupil(db, session, names[m], 40, member_id=m if class_id else None) for m in answers}
        for number, question in enumerate(questions):
            activity = store.add_activity(db, store.new_activity(
                session["id"], "quiz", {"kind": "single", "question": question, "choices": CHOICES, "correct": [1]},
                None))
            for member_id, picks in answers.items():
                if picks[number] is not None:
                    store.record_submission(db, {"id": str(uuid.uuid4()), "answer": picks[number]}, pupils[member_id],
                                            session, activity, CHOICES[picks[number]], picks[number] == 1)
        if handin:
            activity = store.add_activity(db, store.new_activity(
                session["id"], "handin", {"instructions": "Raconte ta journée", "accept": ["text"]}, None))
            for member_id, text in handin.items():
                store.record_submission(db, {"id": str(uuid.uuid4()), "answer": {"text": text}}, pupils[member_id],
                                        session, activity, text, None)
        if close:
            store.close_session(db, session["id"])
    return {**session, "pupils": pupils}
