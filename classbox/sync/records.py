"""The one contract between features and sync: the typed records the outbox carries.

A feature builds a record with one of the builders below and queues it with
`outbox.enqueue(db, kind, target, record, key)`; `sync/statements.py` (kind XAPI) and the
WebDAV connector (kind WEBDAV) read it. Nothing else shapes or reads an outbox payload.
"""

from __future__ import annotations

import uuid
from typing import Literal, NotRequired, TypedDict

# kinds of records, and the target each one goes to
XAPI = "xapi"
WEBDAV = "webdav"
KINDS = (XAPI, WEBDAV)
LRS = "lrs"
WORKSPACE = "workspace"

# events: what happened (the statement's verb, the file's reason)
ATTENDED = "attended"
ANSWERED = "answered"
HANDED_IN = "handed_in"
COMPLETED = "completed"  # a pupil finished an exercise of the library (H5P), with its score
EVENTS = (ATTENDED, ANSWERED, HANDED_IN, COMPLETED)

# how a question is answered (xAPI interactionType); what a choice answer's ids are joined with
Interaction = Literal["choice", "fill-in", "numeric"]
INTERACTIONS: dict[str, Interaction] = {"single": "choice", "multiple": "choice", "text": "fill-in",
                                        "number": "numeric"}
CHOICE_SEPARATOR = "[,]"

# A fixed namespace so the same record always gets the same statement id (idempotent).
STATEMENT_NAMESPACE = uuid.UUID("6f1c8a52-4f7e-5d1a-9a57-2c3c0b8e7a10")


class Pupil(TypedDict):
    id: str
    name: str


class Session(TypedDict):
    id: int
    code: str
    title: str
    teacher: str


class Choice(TypedDict):
    id: str  # the choice's xAPI id ("0", "1"…)
    text: str  # as the teacher wrote it


class Content(TypedDict):
    """A resource of the library played as an activity (an H5P exercise): the statement's object."""

    id: str  # the resource's id on the box (its page is /library/<id>)
    title: str
    library: NotRequired[str]  # H5P's main library, "H5P.MultiChoice-1.16"


class Activity(TypedDict):
    id: str
    type: str  # the classroom's activity type: quiz, handin, message…
    title: str
    question: NotRequired[str]
    interaction: NotRequired[Interaction]
    choices: NotRequired[list[Choice]]
    correct: NotRequired[list[str]]  # xAPI correctResponsesPattern, when the teacher gave an answer
    content: NotRequired[Content]  # for an exercise of the library: what the pupil played


class Score(TypedDict):
    raw: int | float
    max: int | float


class Result(TypedDict):
    response: NotRequired[str]  # xAPI format: choice ids joined by "[,]", the text, the number (none: empty)
    success: NotRequired[bool]
    score: NotRequired[Score]


class XapiRecord(TypedDict):
    """One statement to come: who, in which session, did what to which activity, with what result."""

    event: str
    pupil: Pupil
    session: Session
    activity: NotRequired[Activity]  # none for ATTENDED: the object is the session
    result: NotRequired[Result]


class WebdavRecord(TypedDict):
    """One hand-in file for the ENT's workspace (path relative to the data dir)."""

    event: str
    path: str
    filename: str
    mime: str
    size: int
    sha256: str
    pupil: Pupil
    session: Session
    activity: Activity


def statement_id(event: str, key: str) -> str:
    """The xAPI statement id of one event about one record (uuid5: stable across retries)."""
    return str(uuid.uuid5(STATEMENT_NAMESPACE, f"{event}:{key}"))


def attended(pupil: Pupil, session: Session) -> XapiRecord:
    """A pupil joined a session."""
    return {"event": ATTENDED, "pupil": pupil, "session": session}


def answered(pupil: Pupil, session: Session, activity: Activity, response: str,
             correct: bool | None) -> XapiRecord:
    """A pupil answered a question; `correct` is None when the teacher gave no answer."""
    result: Result = {"response": response}
    if correct is not None:
        result["success"] = correct
        result["score"] = {"raw": int(correct), "max": 1}
    return {"event": ANSWERED, "pupil": pupil, "session": session, "activity": activity, "result": result}


def scored(pupil: Pupil, session: Session, activity: Activity, raw: int | float, max_: int | float,
           success: bool | None, response: str, completed: bool) -> XapiRecord:
    """A pupil's score in an exercise of the library (H5P): answered, or completed when it says so."""
    result: Result = {"score": {"raw": raw, "max": max_}}
    if response:  # xAPI allows no empty value
        result["response"] = response
    if success is not None:
        result["success"] = success
    return {"event": COMPLETED if completed else ANSWERED, "pupil": pupil, "session": session,
            "activity": activity, "result": result}


def handed_in(pupil: Pupil, session: Session, activity: Activity, response: str) -> XapiRecord:
    """A pupil handed in work (its text, or the file's name)."""
    return {"event": HANDED_IN, "pupil": pupil, "session": session, "activity": activity,
            "result": {"response": response}}


def handed_in_file(path: str, filename: str, mime: str, size: int, sha256: str, pupil: Pupil,
                   session: Session, activity: Activity) -> WebdavRecord:
    """A hand-in file to copy into the ENT's workspace."""
    return {"event": HANDED_IN, "path": path, "filename": filename, "mime": mime, "size": size,
            "sha256": sha256, "pupil": pupil, "session": session, "activity": activity}
