"""What each answer, hand-in and join puts in the sync outbox (turned into xAPI/WebDAV at send time)."""

from __future__ import annotations

import time
import uuid
from typing import Any

# A fixed namespace so the same submission always gets the same statement id (idempotent).
STATEMENT_NAMESPACE = uuid.UUID("6f1c8a52-4f7e-5d1a-9a57-2c3c0b8e7a10")


def statement_id(event: str, key: str) -> str:
    """The xAPI statement id of one event about one record (uuid5, stable across retries)."""
    return str(uuid.uuid5(STATEMENT_NAMESPACE, f"{event}:{key}"))


def created(seq: int) -> dict:
    """When a record was made: wall clock (maybe wrong), monotonic clock and box sequence."""
    return {"wall": time.time(), "monotonic": time.monotonic(), "seq": seq}


def session_part(session: dict) -> dict:
    return {"id": session["id"], "code": session["code"], "title": session["title"],
            "teacher": session["teacher_login"]}


def activity_part(activity: dict | None) -> dict:
    if activity is None:
        return {"id": None, "type": "session", "title": None}
    spec = activity["spec"]
    part: dict[str, Any] = {"id": activity["id"], "type": activity["type"],
                            "title": spec.get("title") or spec.get("question") or spec.get("instructions")
                            or spec.get("text")}
    if activity["type"] == "quiz":
        part["question"] = spec["question"]
        part["kind"] = spec["kind"]
        if "choices" in spec:
            part["choices"] = [{"id": str(i), "text": c} for i, c in enumerate(spec["choices"])]
    return part


def xapi_payload(event: str, sid: str, pupil: dict, session: dict, activity: dict | None,
                 response: str, correct: bool | None, seq: int) -> dict:
    """The outbox payload for one xAPI statement (kind "xapi", target "lrs")."""
    result: dict[str, Any] = {"response": response}
    if correct is not None:
        result["success"] = correct
        result["score"] = {"raw": int(correct), "max": 1}
    return {"event": event, "statement_id": sid,
            "pupil": {"id": pupil["id"], "name": pupil["name"]},
            "session": session_part(session), "activity": activity_part(activity),
            "result": result, "created": created(seq)}


def webdav_payload(path: str, filename: str, mime: str, size: int, sha256: str, pupil: dict,
                   session: dict, activity: dict, seq: int) -> dict:
    """The outbox payload for one hand-in file (kind "webdav", target "workspace")."""
    return {"event": "handed_in", "path": path, "filename": filename, "mime": mime, "size": size,
            "sha256": sha256, "pupil": {"id": pupil["id"], "name": pupil["name"]},
            "session": session_part(session), "activity": activity_part(activity),
            "created": created(seq)}
