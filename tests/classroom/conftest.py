"""Classroom tests: the socket helpers (teacher_sio and pupil are fixtures of tests/conftest.py)."""

from __future__ import annotations

from tests.helpers import NS, QUIZ_SPEC, ack, new_id, received  # noqa: F401  (the classroom tests' helpers)
