"""Lessons tests: a lesson saved for a teacher, as the import would save it."""

from __future__ import annotations

import pytest

from classbox.lessons.steps import validate_steps
from classbox.lessons.store import Lesson, find_owner, save_lessons

# Eight steps: a message, four graded quizzes with feedback, an ungraded poll, a text hand-in, a pause.
STEPS = [
    {"type": "message", "text": "Aujourd'hui : les fractions."},
    {"type": "quiz", "kind": "single", "question": "1/2 = ?", "choices": ["2/4", "1/3", "2/3"], "correct": 0,
     "feedback": ["Bravo : 2/4 = 1/2", "Non : 1/3 < 1/2", "Non : 2/3 > 1/2"], "duration_s": 30,
     "general_feedback": "Multiplier en haut et en bas par 2."},
    {"type": "quiz", "kind": "multiple", "question": "Égales à 1 ?", "choices": ["2/2", "3/3", "1/2"],
     "correct": [0, 1], "weights": [50, 50, -100]},
    {"type": "quiz", "kind": "text", "question": "Capitale de la France ?", "correct": ["Paris", "Lutèce"],
     "feedback": ["Oui, Paris.", "Oui, l'ancien nom."]},
    {"type": "quiz", "kind": "number", "question": "1/4 + 1/4 ?", "min": 0.49, "max": 0.51},
    {"type": "quiz", "kind": "single", "question": "Aimes-tu les fractions ?", "choices": ["Oui", "Non"]},
    {"type": "handin", "instructions": "Explique 3/4 avec un dessin.", "accept": ["text", "photo"]},
    {"type": "pause", "text": "On corrige ensemble."},
]
# What a pupil answers to each step (None: nothing to answer), right then wrong.
RIGHT = [None, 0, [1, 0], " LUTECE ", "0,5", 1, {"text": "Trois parts sur quatre"}, None]
WRONG = [None, 2, [0], "Lyon", 2, 0, {"text": "?"}, None]
SECRETS = ["Bravo : 2/4 = 1/2", "Non : 1/3", "Non : 2/3", "Multiplier en haut", "Oui, Paris", "l'ancien nom",
           "Lutèce", "Paris", '"correct"', '"tolerance"', '"weights"', '"feedback"', '"general_feedback"', "0.49",
           "0.51", '"min"', '"max"', '"solution"']


@pytest.fixture
def save_lesson(db):
    """save_lesson(steps=STEPS, owner="mme.martin", title=...) -> lesson id."""
    def save(steps=None, owner="mme.martin", title="Fractions 5e"):
        return save_lessons(db, [Lesson(title, validate_steps(steps or STEPS))], find_owner(db, owner), "json")[0]
    return save
