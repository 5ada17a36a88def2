"""Fixtures of the classes tests: a second teacher, a logged-in client, a class with members."""

from __future__ import annotations

import pytest

from classbox.auth.users import add_user, find_user


@pytest.fixture
def teacher_id(db, teacher):
    """The id of the `teacher` account (mme.martin)."""
    return find_user(db, teacher[0])["id"]


@pytest.fixture
def other_teacher_id(db):
    """Another teacher of the same box (M. Durand)."""
    add_user(db, "m.durand", "teacher", "other-pass-456", "M. Durand")
    return find_user(db, "m.durand")["id"]
