"""The documented rules of the progress pages: needs help, a pupil's trend, a question's trend (pure)."""

from __future__ import annotations

import pytest

from classbox.classes import progress
from classbox.classes.progress import Answer


@pytest.mark.parametrize("marks,flagged", [
    ([0, 0, 0, 0], False),                       # 4 graded answers say nothing yet
    ([0, 0, 0, 0, 1], True),                     # 1 of 5 right
    ([1] * 20 + [0, 0, 0, 0, 0, 0, 1, 1, 1, 1], True),   # the last 10 count, not the good start
    ([0] * 20 + [1, 1, 1, 1, 1, 0, 0, 0, 0, 0], False),  # exactly 50 % is not below 50 %
    ([0] * 20 + [1, 1, 1, 1, 0, 0, 0, 0, 0, 0], True),
])
def test_needs_help_is_below_half_of_the_last_ten_graded_answers(marks, flagged):
    assert progress.needs_help(marks) is flagged


@pytest.mark.parametrize("marks,trend", [
    ([0] * 10 + [1] * 10, "up"),
    ([1] * 10 + [0] * 10, "down"),
    ([1, 0] * 10, "steady"),
    ([1] * 9 + [0] + [1] * 10, "up"),           # +10 points is a move
    ([1] * 14, None),                            # the window before has 4: too few
])
def test_a_pupils_trend_compares_the_last_ten_with_the_ten_before(marks, trend):
    assert progress.window_trend(marks) == trend


def _activity(aid, session_id, seq, question="2 + 2 ?"):
    return {"id": aid, "session_id": session_id, "type": "quiz", "seq": seq,
            "spec": {"kind": "single", "question": question, "choices": ["3", "4"], "correct": [1]}, "targets": None}


def test_the_same_question_asked_again_is_one_question_with_a_trend():
    activities = {"a1": _activity("a1", 1, 1, "2 + 2 ?"), "a2": _activity("a2", 2, 2, " 2 + 2 ? "),
                  "b1": _activity("b1", 2, 3, "3 + 3 ?")}
    answers = [Answer("lea", "a1", 0, False, 10), Answer("tom", "a1", 0, False, 11),
               Answer("lea", "a2", 1, False, 12), Answer("tom", "a2", 1, False, 13), Answer("lea", "b1", 1, False, 14)]
    questions = progress.summarize_questions(activities, answers)
    twice = next(q for q in questions if len(q["times"]) == 2)
    assert [t["score"].rate for t in twice["times"]] == [0.0, 1.0] and twice["trend"] == "up"
    assert progress.repeated(questions) == [twice]


def test_members_are_counted_by_their_latest_answer_in_the_order_asked():
    activities = {f"q{i}": _activity(f"q{i}", 1 + i // 5, i) for i in range(10)}
    activities["h"] = {"id": "h", "session_id": 2, "type": "handin", "seq": 99, "spec": {"instructions": "x"},
                       "targets": None}
    answers = [Answer("lea", f"q{i}", 1 if i < 5 else 0, False, 100 - i) for i in range(10)]
    answers.append(Answer("lea", "h", None, True, 200))
    lea = progress.summarize_members([{"id": "lea"}], activities, answers, [("lea", 1), ("lea", 2)])["lea"]
    assert lea.graded == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0], "in the order the questions were asked, not answered"
    assert (lea.total.right, lea.total.graded, lea.total.handins) == (5, 10, 1)
    assert lea.by_session[2].handins == 1 and lea.by_session[1].rate == 1.0
    assert lea.needs_help is False and lea.attended == {1, 2}
