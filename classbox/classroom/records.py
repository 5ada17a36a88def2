"""An answer on its way to the writer, and the record of a stored one that dashboards receive."""

from __future__ import annotations

from typing import Any, NamedTuple


class Answer(NamedTuple):
    """One answer on its way to the writer."""

    session_id: int
    pupil_id: str
    submission_id: str
    activity_id: str
    answer: Any
    nonce: str | None


def submission_record(sub: dict, stored: dict | None) -> dict:
    """The `submission` record the teachers' dashboard receives."""
    return {"submission_id": sub["id"], "activity_id": sub["activity"]["id"], "pupil_id": sub["pupil"]["id"],
            "pupil_name": sub["pupil"]["name"], "answer": sub["answer"], "correct": sub["correct"],
            "file": stored and {k: stored[k] for k in ("mime", "size", "filename")}}
