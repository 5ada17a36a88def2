"""A photo or file handed in: checked, placed on disk off the event loop before the writer's
transaction, recorded, and removed again whenever the database does not keep it."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import TYPE_CHECKING, Any

from classbox.classroom import handin_disk, handins, store
from classbox.classroom.errors import ClassroomError
from classbox.classroom.records import Answer, submission_record
from classbox.runtime.offload import off_loop

if TYPE_CHECKING:
    from classbox.classroom.service import Classroom


def submit_file(classroom: Classroom, item: Answer, file: dict[str, Any]) -> tuple[dict, bool]:
    """Store one hand-in file durably; (the teacher's record, whether it is new)."""
    data = file["data"]
    mime = handins.check_file(data, file["kind"], ["photo", "file"], classroom.max_handin_bytes)
    relative = handin_disk.handin_path(item.session_id, item.pupil_id, item.submission_id, handins.FILE_TYPES[mime])
    handin_disk.check_floor(classroom.data_dir, len(data), classroom.settings["handin_min_free_mb"])
    stored = {"path": str(relative), "mime": mime, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
              "filename": handins.clean_filename(file.get("filename"), mime)}
    placed = off_loop(handin_disk.place, classroom.data_dir, relative, data)
    try:
        record, new, kept_path = classroom.writer.run(lambda db: _record(classroom, db, item, file, stored))
    except ClassroomError:
        if placed:
            handin_disk.remove(classroom.data_dir, relative)
        raise
    except (sqlite3.Error, OSError) as err:  # "database or disk is full" at COMMIT, among others
        if placed:
            handin_disk.remove(classroom.data_dir, relative)
        raise ClassroomError("storage", str(err)[:100]) from None
    if placed and kept_path != stored["path"]:  # a resend of a hand-in stored under another name
        handin_disk.remove(classroom.data_dir, relative)
    return record, new


def _record(classroom: Classroom, db, item: Answer, file: dict[str, Any], stored: dict) -> tuple[dict, bool, str]:
    """Writer job (no file I/O here): check and record the hand-in; (record, new, path the row holds)."""
    pupil, session, activity = classroom.rules.answerable(db, item)
    if activity["type"] != "handin":
        raise ClassroomError("not_answerable")
    handins.check_file(file["data"], file["kind"], activity["spec"].get("accept", []), classroom.max_handin_bytes)
    sub = {"id": item.submission_id, "answer": {"file": stored["filename"], "kind": file["kind"]}, "pupil": pupil,
           "activity": activity, "correct": None}
    new = store.record_submission(db, sub, pupil, session, activity, stored["filename"], None, stored)
    kept = stored["path"] if new else (store.get_submission(db, item.submission_id) or {}).get("file_path")
    return submission_record(sub, stored), new, kept
