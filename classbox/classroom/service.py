"""The classroom's operations, shared by Socket.IO events and HTTP views (one per app)."""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any, Callable

from classbox.classroom import activities, store, tokens
from classbox.classroom.answers import AnswerRules, store_answers
from classbox.classroom.checks import check_uuid, clean_name, clean_title
from classbox.classroom.codes import normalize_code
from classbox.classroom.errors import ClassroomError
from classbox.classroom.handin_flow import submit_file
from classbox.classroom.live import Presence
from classbox.classroom.ratelimit import RateLimiter
from classbox.classroom.shared_presence import BEAT_S, SharedPresence
from classbox.classroom.records import Answer
from classbox.library.h5pfiles import exercise_library
from classbox.runtime.shared_limits import rate_limiter
from classbox.runtime.sticky import worker_index
from classbox.storage.journal import FILENAME as JOURNAL_FILE, recover_data_dir
from classbox.storage.volatile import write_runtime_json
from classbox.storage.writer import GroupWriter
from classbox.web.i18n_marks import N_

STATE_EVERY_S = 5.0
LIVE_FILE = "classroom-live.json"  # in the runtime folder; the agent's health sampler reads it
NEW_PUPILS_PER_S = 1 / 15  # after the first burst: a latecomer every 15 s


def h5p_exercise(db, resource_id: str) -> str:
    """The main library of the H5P exercise a teacher pushes; refused if there is no such exercise."""
    library = exercise_library(db, resource_id)
    if library is None:
        raise ClassroomError("invalid_activity", "resource_id: no H5P exercise with this id on the box")
    return library


class Classroom:
    """Config, the group writer, presence, rate limits and countdowns of one app."""

    def __init__(self, data_dir: Path, secret_key: str, settings: dict, async_mode: str,
                 spawn: Callable[..., Any], clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time, runtime_dir: Path | None = None,
                 shared: bool = False, state: Any = None) -> None:
        """`shared`: other web workers write the same database (their sessions and pupils are read fresh);
        `state`: the runtime.shared.Shared Redis their presence and limits go through (None: memory)."""
        self.data_dir = Path(data_dir)
        self.runtime_dir = Path(runtime_dir) if runtime_dir is not None else self.data_dir / "run"
        self.secret_key = secret_key
        self.max_pupils = settings["max_pupils_per_session"]
        self.max_handin_bytes = settings["max_handin_mb"] * 1024 * 1024
        self.settings = settings  # the app's [classroom] section (read live: handin_min_free_mb)
        # Several workers: each journals its own answers in its slot's file; joins and pushes, which other
        # workers read, commit before their ack (journal_settle.py). Answers acked before a power cut are
        # in SQLite before anyone reads, also when the journal was turned off since.
        slot = worker_index() if shared else None
        self.writer = GroupWriter(self.data_dir, async_mode, settings["emulate_commit_ms"],
                                  settings["commit_gather_ms"], checkpoint_every_s=settings["checkpoint_every_s"],
                                  journal=settings["answer_journal"] and (not shared or slot is not None),
                                  journal_slot=slot)
        if settings["answer_journal"] or (self.data_dir / JOURNAL_FILE).exists():
            recover_data_dir(self.data_dir)
        self.state = state
        self.presence = Presence() if state is None else SharedPresence(state)
        limit = functools.partial(rate_limiter, state, clock=clock)
        self.join_limit = RateLimiter(5, 0.2, clock)  # per connection: 5 at once, then 1 per 5 s
        # new pupils per (address, session) and per session: a class at once, then 4 a minute
        self.new_pupil_limit = limit("new_pupil", settings["new_pupils_burst"], NEW_PUPILS_PER_S)
        self.session_new_limit = limit("session_new", settings["max_pupils_per_session"], NEW_PUPILS_PER_S)
        self.rejoin_limit = limit("rejoin", 10, 1 / 6)  # per device token: 10 at once, then 1 per 6 s
        self.join_ip_limit = limit("join_ip", settings["joins_per_ip_burst"], settings["joins_per_ip_burst"] / 60)
        self.join_page_limit = limit("join_page", settings["joins_per_ip_burst"], settings["joins_per_ip_burst"] / 60)
        self.submit_limit = limit("submit", 20, 2.0)  # per pupil: 20 at once, then 2 per second
        self.event_limit = RateLimiter(60, 10.0, clock)  # any event, per connection (one worker holds it)
        self.rules = AnswerRules(settings["max_answer_chars"], clock, wall)  # what answers are checked against
        self.shared = shared
        self.rules.keep_rows = not shared  # a row cached here would miss another worker's close or removal
        self.open_ids: set[int] = set()  # sessions known open (closing goes through this object)
        self.clock = clock
        self.spawn = spawn
        self.feed: Any = None  # a SubmissionFeed, set by init_app (it needs the Socket.IO server)
        self.tap: Any = None  # classes' TapJoin (sessions opened for a class), set by classes' init_app
        self._state_written = float("-inf")
        self._state_pending = False
        self._state_counts: dict | None = None

    @property
    def wall(self) -> Callable[[], float]:
        """The wall clock: default session titles, countdowns rebuilt after a restart (AnswerRules)."""
        return self.rules.wall

    @wall.setter
    def wall(self, clock: Callable[[], float]) -> None:
        self.rules.wall = clock

    # pupils -----------------------------------------------------------------------------

    def join(self, code_raw: Any, name_raw: Any, token_raw: Any, address: str = "") -> dict:
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
            if not self.rejoin_limit.allow(claims["p"]):
                raise ClassroomError("rate_limited", "device token")
        name = clean_name(name_raw) if claims is None else None

        def job(db):
            session = store.find_session(db, code)
            if session is None:
                raise ClassroomError("unknown_code")
            if session["state"] != "open":
                raise ClassroomError("closed")
            if claims is None and session["class_id"] is not None:
                raise ClassroomError("tap_to_join", message=N_("Touche ton prénom et ton image dans la liste."))
            if claims is not None:
                pupil = store.get_pupil(db, claims["p"])
                if pupil is None or claims["s"] != session["id"] or pupil["session_id"] != session["id"]:
                    raise ClassroomError("bad_token", "other session")
                if pupil["removed"] or pupil["nonce"] != claims["n"]:
                    raise ClassroomError("removed" if pupil["removed"] else "bad_token", "revoked")
            else:
                if not session["joining"]:
                    raise ClassroomError("joining_closed")
                if not self.new_pupil_limit.allow(f"{session['id']}|{address}") \
                        or not self.session_new_limit.allow(str(session["id"])):
                    raise ClassroomError("rate_limited", "new pupils")
                pupil = store.add_pupil(db, session, name, self.max_pupils)
            return session, pupil, store.current_activity_for(db, session["id"], pupil["id"])

        session, pupil, activity = self.writer.run(job, journaled=not self.shared)  # its writes: rows it notes
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
        if self.rules.too_late(self.rules.deadlines.get(activity_id)):  # known since the push; after: answerable
            raise ClassroomError("time_up")
        item = Answer(session_id, pupil_id, submission_id, activity_id, data.get("answer"), nonce)
        if file is None:  # answers of a class arriving together share a few statements
            record, new = self.writer.run_item(store_answers, (self.rules, item), journaled=True)
        else:
            record, new = submit_file(self, item, file)
        return {"ok": True, "submission_id": submission_id, "duplicate": not new, "record": record}

    # teachers ---------------------------------------------------------------------------

    def open_session(self, user: dict, title_raw: Any, class_id: Any = None) -> dict:
        """A new session of this teacher, for one of their classes (pupils tap to join) or not."""
        title = clean_title(title_raw, self.rules.wall())
        if class_id is not None and self.tap is None:
            raise ClassroomError("malformed", "class_id")
        session = self.writer.run(lambda db: store.create_session(
            db, user, title, None if class_id is None else self.tap.owned_class(db, user, class_id)))
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

    def push(self, session_id: int, raw: Any, announce: Callable[[dict], None], extra: dict | None = None) -> dict:
        """Record a pushed activity and announce it; returns once it is durable.

        `extra` joins the checked spec (a lesson step's `lesson {id, title, step, steps}`).

        A whole-class push is announced while its commit runs: pupils' answers to it are queued
        behind it in the same writer, so they can never be stored before the activity itself.
        """
        kind, spec, targets = activities.validate_spec(raw)
        if kind == "h5p":  # an exercise on this box: its H5P content type goes with its scores to the ENT
            spec["library"] = self.writer.run(lambda db: h5p_exercise(db, spec["resource_id"]))
        spec = {**spec, **(extra or {})}
        activity = store.new_activity(session_id, kind, spec, targets)
        if "duration_s" in spec:
            self.rules.deadlines[activity["id"]] = self.clock() + spec["duration_s"]
        if targets is not None or session_id not in self.open_ids or self.shared:  # shared: maybe closed elsewhere
            activity = self.writer.run(lambda db: store.add_activity(db, activity), journaled=not self.shared)
            self.open_ids.add(session_id)
            announce(activity)
            return activity
        job = self.writer.queue(lambda db: store.add_activity(db, activity), journaled=True)
        announce(activity)
        return self.writer.wait(job)

    def view(self, activity: dict | None) -> dict | None:
        """The pupils' view of an activity, with the countdown's remaining time."""
        if activity is None:
            return None
        deadline = self.rules.deadline(activity)
        remaining = None if deadline is None else deadline - self.clock()
        return activities.public_view(activity["id"], activity["type"], activity["spec"], remaining)

    def close(self, session_id: int) -> None:
        self.open_ids.discard(session_id)
        self.writer.run(lambda db: store.close_session(db, session_id))
        self.rules.forget("session", session_id)

    def rename(self, session_id: int, pupil_id: Any, name_raw: Any) -> str:
        name = clean_name(name_raw)
        if not isinstance(pupil_id, str):
            raise ClassroomError("malformed")
        self.writer.run(lambda db: store.rename_pupil(db, session_id, pupil_id, name))
        self.rules.forget("pupil", pupil_id)
        return name

    def remove_many(self, session_id: int, pupil_ids: Any) -> list[str]:
        """Remove several pupils at once (unknown ids are skipped); the ids removed."""
        if not isinstance(pupil_ids, list) or len(pupil_ids) > 1000 or not all(isinstance(p, str) for p in pupil_ids):
            raise ClassroomError("malformed")
        removed = self.writer.run(lambda db: store.remove_pupils(db, session_id, pupil_ids))
        for pupil_id in removed:
            self.rules.forget("pupil", pupil_id)
        return removed

    def set_joining(self, session_id: int, open_: Any) -> bool:
        """The teacher's switch: open or close joining with a new name; reopening resets new-pupil limits."""
        if not isinstance(open_, bool):
            raise ClassroomError("malformed")
        self.writer.run(lambda db: store.set_joining(db, session_id, open_))
        self.rules.forget("session", session_id)
        if open_:  # the teacher is there and vouches for who comes next
            self.session_new_limit.forget(str(session_id))
            self.new_pupil_limit.forget_prefix(f"{session_id}|")
        return open_

    def remove(self, session_id: int, pupil_id: Any) -> None:
        """Remove one pupil; ClassroomError("unknown_pupil") if it is not (or no longer) in the session."""
        if not self.remove_many(session_id, [pupil_id]):
            raise ClassroomError("unknown_pupil")

    # health -----------------------------------------------------------------------------

    def presence_changed(self) -> None:
        """Keep the live counts for health up to date in RAM, at most one write every few seconds."""
        if self._state_pending:
            return
        self._state_pending = True
        self.spawn(self._write_state)

    def _write_state(self) -> None:
        wait = self._state_written + STATE_EVERY_S - self.clock()
        if wait > 0:
            time.sleep(wait)
        self._state_pending = False
        self._state_written = self.clock()
        counts = self.presence.counts()
        if counts == self._state_counts:
            return
        try:  # the runtime folder (tmpfs), never classbox.db: presence is worth no SD-card write
            write_runtime_json(self.runtime_dir, LIVE_FILE, counts)
            self._state_counts = counts
        except OSError:  # health data is best effort; never take the classroom down for it
            pass

    def beat_forever(self) -> None:
        """Several workers: publish this worker's presence every BEAT_S, and refresh health's counts."""
        while True:
            self.presence.beat()
            self.presence_changed()
            time.sleep(BEAT_S)
