"""The classroom's operations, shared by Socket.IO events and HTTP views (one per app)."""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from pathlib import Path
from typing import Any, Callable

from flask_babel import gettext

from classbox.classroom import activities, handins, store, tokens
from classbox.classroom.codes import normalize_code
from classbox.classroom.errors import ClassroomError
from classbox.classroom.live import Presence
from classbox.classroom.ratelimit import RateLimiter
from classbox.classroom.writer import GroupWriter

NAME_MAX = 30
TITLE_MAX = 120
DEADLINE_GRACE_S = 2.0
STATE_KEY = "classroom.live"
STATE_EVERY_S = 5.0


def clean_name(raw: Any) -> str:
    """A pupil's first name or pseudonym: 1–30 printable characters, no markup."""
    if not isinstance(raw, str) or len(raw) > 200:
        raise ClassroomError("invalid_name")
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not 0 < len(name) <= NAME_MAX or re.search(r"[<>&\"'`{}\\]", name) \
            or any(unicodedata.category(c)[0] == "C" for c in name):
        raise ClassroomError("invalid_name")
    return name


def clean_title(raw: Any) -> str:
    """A session title chosen by the teacher (default: the date)."""
    if raw is None or raw == "":
        return gettext("Séance du %(date)s", date=time.strftime("%d/%m/%Y %H:%M"))
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > TITLE_MAX:
        raise ClassroomError("malformed", f"title: 1 to {TITLE_MAX} characters")
    return " ".join(raw.split())


def check_uuid(raw: Any) -> str:
    """A device-made submission id, canonical form."""
    try:
        if not isinstance(raw, str) or len(raw) > 64:
            raise ValueError
        return str(uuid.UUID(raw))
    except ValueError:
        raise ClassroomError("malformed", "submission_id: a UUID") from None


class Classroom:
    """Config, the group writer, presence, rate limits and countdowns of one app."""

    def __init__(self, data_dir: Path, secret_key: str, settings: dict, async_mode: str,
                 spawn: Callable[..., Any], clock: Callable[[], float] = time.monotonic) -> None:
        self.data_dir = Path(data_dir)
        self.secret_key = secret_key
        self.max_answer_chars = settings["max_answer_chars"]
        self.max_pupils = settings["max_pupils_per_session"]
        self.max_handin_bytes = settings["max_handin_mb"] * 1024 * 1024
        self.writer = GroupWriter(self.data_dir, async_mode, settings["emulate_commit_ms"])
        self.presence = Presence()
        self.join_limit = RateLimiter(5, 0.2, clock)  # per connection: 5 at once, then 1 per 5 s
        self.join_ip_limit = RateLimiter(settings["joins_per_ip_burst"], settings["joins_per_ip_burst"] / 60, clock)
        self.submit_limit = RateLimiter(20, 2.0, clock)  # per pupil: 20 at once, then 2 per second
        self.event_limit = RateLimiter(60, 10.0, clock)  # any event, per connection
        self.deadlines: dict[str, float] = {}
        self._cache: dict[tuple[str, Any], dict] = {}
        self.open_ids: set[int] = set()  # sessions known open (closing goes through this object)
        self.clock = clock
        self.spawn = spawn
        self.feed: Any = None  # a SubmissionFeed, set by init_app (it needs the Socket.IO server)
        self._state_written = float("-inf")
        self._state_pending = False

    # pupils -----------------------------------------------------------------------------

    def join(self, code_raw: Any, name_raw: Any, token_raw: Any) -> dict:
        """A pupil joins (or comes back with its device token): pupil, token, session, activity."""
        code = normalize_code(code_raw)
        if code is None:
            raise ClassroomError("unknown_code")
        claims = None
        if token_raw not in (None, ""):
            try:
                claims = tokens.read_token(self.secret_key, token_raw)
            except tokens.TokenError as err:
                raise ClassroomError("bad_token", str(err)) from None
        name = clean_name(name_raw) if claims is None else None

        def job(db):
            session = store.find_session(db, code)
            if session is None:
                raise ClassroomError("unknown_code")
            if session["state"] != "open":
                raise ClassroomError("closed")
            if claims is not None:
                pupil = store.get_pupil(db, claims["p"])
                if pupil is None or claims["s"] != session["id"] or pupil["session_id"] != session["id"]:
                    raise ClassroomError("bad_token", "other session")
                if pupil["removed"] or pupil["nonce"] != claims["n"]:
                    raise ClassroomError("removed" if pupil["removed"] else "bad_token", "revoked")
            else:
                pupil = store.add_pupil(db, session, name, self.max_pupils)
            return session, pupil, store.current_activity_for(db, session["id"], pupil["id"])

        session, pupil, activity = self.writer.run(job)
        token = tokens.make_token(self.secret_key, session["id"], pupil["id"], pupil["nonce"])
        return {"session": session, "pupil": pupil, "token": token, "activity": activity}

    def pupil_from_token(self, token_raw: Any) -> tuple[int, str]:
        """(session id, pupil id) of a valid device token (checked again against the database later)."""
        try:
            claims = tokens.read_token(self.secret_key, token_raw)
        except tokens.TokenError as err:
            raise ClassroomError("bad_token", str(err)) from None
        return claims["s"], claims["p"]

    def submit(self, session_id: int, pupil_id: str, data: Any, file: dict | None = None,
               nonce: str | None = None) -> dict:
        """Store one answer durably; returns the ack {ok, submission_id, duplicate, record}."""
        if not isinstance(data, dict):
            raise ClassroomError("malformed")
        submission_id = check_uuid(data.get("submission_id"))
        activity_id = data.get("activity_id")
        if not isinstance(activity_id, str) or len(activity_id) > 64:
            raise ClassroomError("malformed", "activity_id")
        deadline = self.deadlines.get(activity_id)
        if deadline is not None and self.clock() > deadline + DEADLINE_GRACE_S:
            raise ClassroomError("time_up")
        answer = data.get("answer")

        def job(db):
            pupil = self._cached(db, "pupil", pupil_id, store.get_pupil)
            session = self._cached(db, "session", session_id, store.get_session)
            if pupil is None or pupil["removed"] or pupil["session_id"] != session_id \
                    or (nonce is not None and pupil["nonce"] != nonce):
                raise ClassroomError("bad_token")
            if session["state"] != "open":
                raise ClassroomError("closed")
            activity = self._cached(db, "activity", activity_id, store.get_activity)
            if activity is None or activity["session_id"] != session_id \
                    or not activities.for_pupil(activity["targets"], pupil_id):
                raise ClassroomError("unknown_activity")
            if file is not None:
                mime = handins.check_file(file["data"], file["kind"], activity["spec"].get("accept", []),
                                          self.max_handin_bytes) if activity["type"] == "handin" else None
                if mime is None:
                    raise ClassroomError("not_answerable")
                stored = handins.store_file(self.data_dir, session_id, pupil_id, submission_id, file["data"], mime)
                stored["filename"] = handins.clean_filename(file.get("filename"), mime)
                value, response, correct = {"file": stored["filename"], "kind": file["kind"]}, stored["filename"], None
            else:
                value, response, correct = activities.check_answer(activity["type"], activity["spec"], answer,
                                                                   self.max_answer_chars)
                stored = None
            new = store.record_submission(db, {"id": submission_id, "answer": value}, pupil, session, activity,
                                          response, correct, stored)
            return {"submission_id": submission_id, "activity_id": activity_id, "pupil_id": pupil_id,
                    "pupil_name": pupil["name"], "answer": value, "correct": correct,
                    "file": stored and {k: stored[k] for k in ("mime", "size", "filename")}}, new

        record, new = self.writer.run(job)
        return {"ok": True, "submission_id": submission_id, "duplicate": not new, "record": record}

    def _cached(self, db, kind: str, key: Any, load: Callable) -> dict | None:
        """A row read inside a writer job, kept in memory (changes go through this object)."""
        found = self._cache.get((kind, key))
        if found is None:
            found = load(db, key)
            if found is not None:
                if len(self._cache) > 20_000:
                    self._cache.clear()
                self._cache[(kind, key)] = found
        return found

    def _forget(self, kind: str, key: Any) -> None:
        self._cache.pop((kind, key), None)

    # teachers ---------------------------------------------------------------------------

    def open_session(self, user: dict, title_raw: Any) -> dict:
        title = clean_title(title_raw)
        session = self.writer.run(lambda db: store.create_session(db, user, title))
        self.open_ids.add(session["id"])
        return session

    def owned_session(self, db, user: dict, code_raw: Any) -> dict:
        """A session of this teacher by code; ClassroomError if unknown or someone else's."""
        code = normalize_code(code_raw)
        session = store.find_session(db, code) if code else None
        if session is None:
            raise ClassroomError("unknown_code")
        if session["teacher_id"] != user["id"]:
            raise ClassroomError("forbidden")
        return session

    def push(self, session_id: int, raw: Any, announce: Callable[[dict], None]) -> dict:
        """Record a pushed activity and announce it; returns once it is durable.

        A whole-class push is announced while its commit runs: pupils' answers to it are queued
        behind it in the same writer, so they can never be stored before the activity itself.
        """
        kind, spec, targets = activities.validate_spec(raw)
        activity = store.new_activity(session_id, kind, spec, targets)
        if "duration_s" in spec:
            self.deadlines[activity["id"]] = self.clock() + spec["duration_s"]
        if targets is not None or session_id not in self.open_ids:
            activity = self.writer.run(lambda db: store.add_activity(db, activity))
            self.open_ids.add(session_id)
            announce(activity)
            return activity
        job = self.writer.queue(lambda db: store.add_activity(db, activity))
        announce(activity)
        return self.writer.wait(job)

    def view(self, activity: dict | None) -> dict | None:
        """The pupils' view of an activity, with the countdown's remaining time."""
        if activity is None:
            return None
        deadline = self.deadlines.get(activity["id"])
        remaining = None if deadline is None else deadline - self.clock()
        return activities.public_view(activity["id"], activity["type"], activity["spec"], remaining)

    def close(self, session_id: int) -> None:
        self.open_ids.discard(session_id)
        self.writer.run(lambda db: store.close_session(db, session_id))
        self._forget("session", session_id)

    def rename(self, session_id: int, pupil_id: Any, name_raw: Any) -> str:
        name = clean_name(name_raw)
        if not isinstance(pupil_id, str):
            raise ClassroomError("malformed")
        self.writer.run(lambda db: store.rename_pupil(db, session_id, pupil_id, name))
        self._forget("pupil", pupil_id)
        return name

    def remove(self, session_id: int, pupil_id: Any) -> None:
        if not isinstance(pupil_id, str):
            raise ClassroomError("malformed")
        self.writer.run(lambda db: store.remove_pupil(db, session_id, pupil_id))
        self._forget("pupil", pupil_id)

    # health -----------------------------------------------------------------------------

    def presence_changed(self) -> None:
        """Keep box_state "classroom.live" up to date, at most one write every few seconds."""
        if self._state_pending:
            return
        self._state_pending = True
        self.spawn(self._write_state)

    def _write_state(self) -> None:
        from classbox.storage.core import set_state

        wait = self._state_written + STATE_EVERY_S - self.clock()
        if wait > 0:
            time.sleep(wait)
        self._state_pending = False
        self._state_written = self.clock()
        counts = self.presence.counts()
        try:
            self.writer.run(lambda db: set_state(db, STATE_KEY, counts))
        except Exception:  # health data is best effort; never take the classroom down for it
            pass
