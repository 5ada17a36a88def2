"""Reading and writing sessions, pupils, activities and submissions (functions of a db handle).

Functions marked "write" run inside the group writer's transaction and never commit.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
import uuid
from typing import Any

import sqlite_utils

from classbox.classroom import payloads
from classbox.classroom.codes import new_code
from classbox.classroom.errors import ClassroomError
from classbox.storage.core import next_seq, next_seqs
from classbox.storage.journal import note
from classbox.sync.outbox import enqueue, enqueue_many


_to_json = json.JSONEncoder(ensure_ascii=False).encode  # built once: json.dumps with options builds one per call


def _one(db: sqlite_utils.Database, sql: str, params: list) -> dict | None:
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


def create_session(db: sqlite_utils.Database, teacher: dict, title: str, class_id: int | None = None) -> dict:
    """Write: a new open session with a fresh join code, for a class (pupils tap to join) or not."""
    for _ in range(20):
        code = new_code()
        try:
            db.execute(
                "INSERT INTO classroom_sessions (code, title, teacher_id, teacher_login, state, created_wall, seq, "
                "class_id) VALUES (?, ?, ?, ?, 'open', ?, ?, ?)",
                [code, title, teacher["id"], teacher["login"], time.time(), next_seq(db), class_id])
            return find_session(db, code)
        except sqlite3.IntegrityError:
            continue
    raise ClassroomError("storage", "no free join code")


def find_session(db: sqlite_utils.Database, code: str) -> dict | None:
    """The session with this join code, or None."""
    return _one(db, "SELECT * FROM classroom_sessions WHERE code = ?", [code])


def get_session(db: sqlite_utils.Database, session_id: int) -> dict | None:
    return _one(db, "SELECT * FROM classroom_sessions WHERE id = ?", [session_id])


def open_sessions(db: sqlite_utils.Database, teacher_id: int | None, limit: int) -> list[dict]:
    """Open sessions, newest first: one teacher's, or everyone's (teacher_id None)."""
    mine = "" if teacher_id is None else " AND teacher_id = ?"
    return list(db.query(f"SELECT code, title FROM classroom_sessions WHERE state = 'open'{mine} "
                         "ORDER BY seq DESC LIMIT ?", ([] if teacher_id is None else [teacher_id]) + [limit]))


def teacher_sessions(db: sqlite_utils.Database, teacher_id: int) -> list[dict]:
    """A teacher's sessions, newest first, with their pupil counts."""
    return list(db.query(
        "SELECT s.*, (SELECT COUNT(*) FROM classroom_pupils p WHERE p.session_id = s.id AND p.removed = 0) "
        "AS pupils FROM classroom_sessions s WHERE teacher_id = ? ORDER BY seq DESC LIMIT 100", [teacher_id]))


def close_session(db: sqlite_utils.Database, session_id: int) -> None:
    """Write: close a session (pupils can no longer join or submit)."""
    db.execute("UPDATE classroom_sessions SET state = 'closed', closed_wall = ? WHERE id = ? AND state = 'open'",
               [time.time(), session_id])


def add_pupil(db: sqlite_utils.Database, session: dict, name: str, max_pupils: int,
              member_id: str | None = None) -> dict:
    """Write: a new pupil in an open session (a class member when member_id is given), and its attendance record."""
    current = get_session(db, session["id"])
    if current is None or current["state"] != "open":
        raise ClassroomError("closed")
    if not current["joining"] and member_id is None:  # the switch closes typed names; a class's list stays open
        raise ClassroomError("joining_closed")
    count = db.execute("SELECT COUNT(*) FROM classroom_pupils WHERE session_id = ? AND removed = 0",
                       [session["id"]]).fetchone()[0]
    if count >= max_pupils:
        raise ClassroomError("full")
    pupil = {"id": uuid.uuid4().hex, "session_id": session["id"], "name": name,
             "nonce": secrets.token_hex(8), "removed": 0, "joined_wall": time.time(), "seq": next_seq(db),
             "member_id": member_id}
    db.execute("INSERT INTO classroom_pupils (id, session_id, name, nonce, removed, joined_wall, seq, member_id) "
               "VALUES (:id, :session_id, :name, :nonce, :removed, :joined_wall, :seq, :member_id)", pupil)
    note(db, "classroom_pupils", tuple(pupil), [tuple(pupil.values())])
    enqueue(db, *payloads.attended(pupil, session))
    return pupil


def get_pupil(db: sqlite_utils.Database, pupil_id: str) -> dict | None:
    return _one(db, "SELECT * FROM classroom_pupils WHERE id = ?", [pupil_id])


def member_pupil(db: sqlite_utils.Database, session_id: int, member_id: str) -> dict | None:
    """The pupil a class member already is in this session (removed or not), or None."""
    return _one(db, "SELECT * FROM classroom_pupils WHERE session_id = ? AND member_id = ? ORDER BY seq DESC LIMIT 1",
                [session_id, member_id])


def member_pupils(db: sqlite_utils.Database, member_id: str) -> list[dict]:
    """Every pupil a class member has been, across sessions, oldest first."""
    return list(db.query("SELECT * FROM classroom_pupils WHERE member_id = ? ORDER BY seq", [member_id]))


def class_sessions(db: sqlite_utils.Database, class_id: int) -> list[dict]:
    """The sessions opened for a class, oldest first."""
    return list(db.query("SELECT * FROM classroom_sessions WHERE class_id = ? ORDER BY seq", [class_id]))


def session_pupils(db: sqlite_utils.Database, session_id: int) -> list[dict]:
    """Pupils still in a session, in joining order."""
    return list(db.query("SELECT id, name, seq FROM classroom_pupils WHERE session_id = ? AND removed = 0 "
                         "ORDER BY seq", [session_id]))


def rename_pupil(db: sqlite_utils.Database, session_id: int, pupil_id: str, name: str) -> None:
    """Write: the teacher renames a pupil."""
    cursor = db.execute("UPDATE classroom_pupils SET name = ? WHERE id = ? AND session_id = ? AND removed = 0",
                        [name, pupil_id, session_id])
    if cursor.rowcount != 1:
        raise ClassroomError("unknown_pupil")


def remove_pupils(db: sqlite_utils.Database, session_id: int, pupil_ids: list[str]) -> list[str]:
    """Write: the teacher removes several pupils at once; the ids that were removed."""
    removed = []
    for pupil_id in dict.fromkeys(pupil_ids):
        if db.execute("UPDATE classroom_pupils SET removed = 1, nonce = '' WHERE id = ? AND session_id = ? "
                      "AND removed = 0", [pupil_id, session_id]).rowcount == 1:
            removed.append(pupil_id)
    return removed


def set_joining(db: sqlite_utils.Database, session_id: int, open_: bool) -> None:
    """Write: open or close joining with a new name (the teacher's switch)."""
    db.execute("UPDATE classroom_sessions SET joining = ? WHERE id = ?", [int(open_), session_id])


def new_activity(session_id: int, kind: str, spec: dict, targets: list[str] | None) -> dict:
    """A new activity record (not stored yet): its id is known before it is written."""
    return {"id": uuid.uuid4().hex, "session_id": session_id, "type": kind, "spec": spec, "targets": targets,
            "created_wall": time.time()}


def add_activity(db: sqlite_utils.Database, activity: dict) -> dict:
    """Write: record a pushed activity and make it the session's current one."""
    current = get_session(db, activity["session_id"])
    if current is None or current["state"] != "open":
        raise ClassroomError("closed")
    if activity["targets"] is not None:
        known = {p["id"] for p in session_pupils(db, activity["session_id"])}
        if not set(activity["targets"]) <= known:
            raise ClassroomError("unknown_pupil")
    row = {**activity, "spec": json.dumps(activity["spec"], ensure_ascii=False),
           "targets": json.dumps(activity["targets"]) if activity["targets"] is not None else None,
           "seq": next_seq(db)}
    db.execute("INSERT INTO classroom_activities (id, session_id, type, spec, targets, created_wall, seq) "
               "VALUES (:id, :session_id, :type, :spec, :targets, :created_wall, :seq)", row)
    if activity["targets"] is None:
        db.execute("UPDATE classroom_sessions SET current_activity_id = ? WHERE id = ?",
                   [activity["id"], activity["session_id"]])
    return {**activity, "seq": row["seq"]}


def _decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {**row, "spec": json.loads(row["spec"]) if isinstance(row["spec"], str) else row["spec"],
            "targets": json.loads(row["targets"]) if isinstance(row["targets"], str) else row["targets"]}


def get_activity(db: sqlite_utils.Database, activity_id: str) -> dict | None:
    return _decode(_one(db, "SELECT * FROM classroom_activities WHERE id = ?", [activity_id]))


def session_activities(db: sqlite_utils.Database, session_id: int) -> list[dict]:
    """A session's activities in the order they were pushed."""
    return [_decode(r) for r in db.query("SELECT * FROM classroom_activities WHERE session_id = ? ORDER BY seq",
                                         [session_id])]


def current_activity_for(db: sqlite_utils.Database, session_id: int, pupil_id: str) -> dict | None:
    """The latest activity pushed to the whole class or to this pupil (replayed on (re)join)."""
    for row in db.query("SELECT * FROM classroom_activities WHERE session_id = ? ORDER BY seq DESC LIMIT 50",
                        [session_id]):
        activity = _decode(row)
        if activity["targets"] is None or pupil_id in activity["targets"]:
            return activity
    return None


def record_submission(db: sqlite_utils.Database, submission: dict[str, Any], pupil: dict, session: dict,
                      activity: dict, response: str, correct: bool | None, file: dict | None = None) -> bool:
    """Write: store one answer or hand-in and queue it for the ENT; False if it was already stored."""
    outcome = record_submissions(db, [{**submission, "pupil": pupil, "session": session, "activity": activity,
                                       "response": response, "correct": correct, "file": file}])[0]
    if isinstance(outcome, ClassroomError):
        raise outcome
    return outcome


def record_submissions(db: sqlite_utils.Database, submissions: list[dict[str, Any]]) -> list[bool | ClassroomError]:
    """Write: store checked answers and hand-ins and queue them for the ENT, a few statements for all.

    Each submission is {id, answer, pupil, session, activity, response, correct, file}; its outcome
    is True (stored), False (already stored: a re-sent submission id from the same pupil for the
    same activity is the same submission) or ClassroomError("duplicate_id") (someone else's id).
    """
    if not submissions:
        return []
    ids = list({s["id"] for s in submissions})
    owners = {row[0]: (row[1], row[2]) for row in db.conn.execute(
        f"SELECT id, pupil_id, activity_id FROM classroom_submissions WHERE id IN ({','.join('?' * len(ids))})", ids)}
    outcomes: list[bool | ClassroomError] = []
    fresh = []
    for sub in submissions:
        owner = (sub["pupil"]["id"], sub["activity"]["id"])
        known = owners.get(sub["id"])
        if known is None:
            owners[sub["id"]] = owner
            fresh.append(sub)
            outcomes.append(True)
        else:
            outcomes.append(False if known == owner else ClassroomError("duplicate_id"))
    rows, outbox, now = [], [], time.time()
    for sub, seq in zip(fresh, next_seqs(db, len(fresh))):
        pupil, session, activity, file = sub["pupil"], sub["session"], sub["activity"], sub["file"] or {}
        correct = sub["correct"]
        rows.append((sub["id"], session["id"], activity["id"], pupil["id"], _to_json(sub["answer"]),
                     None if correct is None else int(correct), file.get("path"), file.get("mime"), file.get("size"),
                     file.get("sha256"), now, seq))
        outbox.extend(payloads.submitted(sub))
    db.conn.executemany(
        f"INSERT INTO classroom_submissions ({', '.join(_SUBMISSION_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows)
    note(db, "classroom_submissions", _SUBMISSION_COLUMNS, rows)
    enqueue_many(db, outbox)
    return outcomes


_SUBMISSION_COLUMNS = ("id", "session_id", "activity_id", "pupil_id", "answer", "correct", "file_path", "file_mime",
                       "file_size", "file_sha256", "created_wall", "seq")


def get_submission(db: sqlite_utils.Database, submission_id: str) -> dict | None:
    return _one(db, "SELECT * FROM classroom_submissions WHERE id = ?", [submission_id])


def session_submissions(db: sqlite_utils.Database, session_id: int) -> list[dict]:
    """Every submission of a session with its pupil's name, in arrival order."""
    return list(db.query(
        "SELECT s.*, p.name AS pupil_name FROM classroom_submissions s JOIN classroom_pupils p ON p.id = s.pupil_id "
        "WHERE s.session_id = ? ORDER BY s.seq", [session_id]))
