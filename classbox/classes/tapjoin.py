"""Tap to join: a pupil of a class session taps their name and picture (and their secret, if any).

A member already connected from another device is never taken over silently: the teacher is
asked (a pending `Takeover`), and answers with `answer_takeover` (classes/join_events.py).
"""

from __future__ import annotations

import secrets as random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import sqlite_utils

from classbox.classes import pictograms
from classbox.classes import secrets as join_secrets
from classbox.classes.archive import archived_on
from classbox.classes.secretlock import Locked
from classbox.classes.shared_secretlock import MEMBER_LIMIT, secret_locks_for
from classbox.classes.takeovers import takeovers_for
from classbox.classroom import store, tokens
from classbox.classroom.codes import normalize_code
from classbox.classroom.errors import ClassroomError
from classbox.classroom.ratelimit import RateLimiter
from classbox.runtime.shared_limits import rate_limiter
from classbox.web.i18n_marks import N_

MESSAGES = {
    "no_class": N_("Cette séance n'a pas de liste de classe : écris ton prénom."),
    "tap_to_join": N_("Touche ton prénom et ton image dans la liste."),
    "class_gone": N_("La classe de cette séance a été supprimée. Demande à l'enseignant."),
    "unknown_member": N_("Ce prénom n'est pas dans la classe de cette séance."),
    "secret_required": N_("Touche tes deux images secrètes, dans l'ordre."),
    "wrong_secret": N_("Ce ne sont pas tes images secrètes. Réessaie ou demande à l'enseignant."),
    "ask_teacher": N_("Tu es déjà connecté sur un autre appareil : l'enseignant doit accepter."),
    "unknown_request": N_("Cette demande n'existe plus."),
    "gone": N_("L'appareil qui demandait s'est déconnecté."),
    "no_reply": N_("L'appareil qui demande n'a pas encore répondu : la demande quittera la liste "
                   "dès qu'il aura appliqué votre réponse."),
    "retry": N_("L'appareil qui demande n'a pas pu être joint : réessayez dans un instant."),
    "unknown_class": N_("Cette classe n'existe pas."),
    "archived_class": N_("Cette classe est archivée : on n'ouvre plus de séance pour elle. "
                         "Restaurez-la depuis sa page pour en ouvrir une."),
    "secret_locked": N_("Trop d'images secrètes fausses : demande à l'enseignant de te donner de nouvelles images."),
}


def refusal(code: str, detail: str = "") -> ClassroomError:
    """A classroom refusal with its tap-to-join message."""
    return ClassroomError(code, detail, message=MESSAGES[code])


@dataclass
class Takeover:
    """A pupil asks to be a member who is connected from another device."""

    id: str
    session_id: int
    pupil_id: str
    member_id: str
    sid: str
    name: str
    picture_url: str
    created: float = field(default=0.0)
    worker: str = ""  # the web worker holding `sid` (several workers: classes/takeovers.py)

    def public(self) -> dict:
        """What the teacher's dashboard shows."""
        return {"request_id": self.id, "pupil_id": self.pupil_id, "member_id": self.member_id,
                "name": self.name, "picture_url": self.picture_url}


class SecretLocked(ClassroomError):
    """Too many wrong secrets for this member: the teacher must give a new one."""

    def __init__(self, member: Locked, session_id: int, new: bool) -> None:
        super().__init__("secret_locked", message=MESSAGES["secret_locked"])
        self.member, self.session_id, self.new = member, session_id, new


class TakeoverNeeded(ClassroomError):
    """The member is online elsewhere: the teacher must allow this device first."""

    def __init__(self, request: Takeover) -> None:
        super().__init__("ask_teacher", request.id, message=MESSAGES["ask_teacher"])
        self.request = request


def page_members(db: sqlite_utils.Database, session: dict) -> dict | None:
    """What the join page shows of a session opened for a class: its members and whether a secret is asked;
    None for a session without a class."""
    if session.get("class_id") is None:
        return None
    if db.execute("SELECT 1 FROM classes WHERE id = ?", [session["class_id"]]).fetchone() is None:
        return {"gone": True, "members": [], "secret": False}
    rows = db.execute("SELECT id, name, picture FROM class_members WHERE class_id = ? ORDER BY position, name",
                      [session["class_id"]]).fetchall()
    return {"gone": False, "secret": join_secrets.enabled(db, session["class_id"]),
            "members": [{"id": r[0], "name": r[1], "picture": r[2], "picture_url": pictograms.url(r[2])}
                        for r in rows]}


def class_owned(db: sqlite_utils.Database, user: dict, class_id: Any) -> int | None:
    """The class a session is opened for, once the teacher is known to own it (None: no class)."""
    if class_id is None:
        return None
    if not isinstance(class_id, int) or isinstance(class_id, bool) or not 0 < class_id < 2**63:
        raise refusal("unknown_class")
    row = db.execute("SELECT archive_on FROM classes WHERE id = ? AND owner_id = ?", [class_id, user["id"]]).fetchone()
    if row is None:
        raise refusal("unknown_class")
    if archived_on({"archive_on": row[0]}):
        raise refusal("archived_class")
    return class_id


class TapJoin:
    """Joins by member id, wrong-secret throttles and the takeovers waiting for a teacher, of one app."""

    def __init__(self, classroom: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.classroom = classroom
        self.clock = clock
        # wrong secrets: per connection and per address (a device), and per member
        self.connection_limit = RateLimiter(5, 1 / 30, clock)
        state = getattr(classroom, "state", None)  # several workers: they count the address and member together
        self.address_limit = rate_limiter(state, "secret_address", 20, 1 / 10, clock)
        self.member_limit = rate_limiter(state, MEMBER_LIMIT, 5, 1 / 60, clock)
        self.locks = secret_locks_for(state)  # then locked until the teacher gives a new secret
        self.takeovers = takeovers_for(state, Takeover, clock)  # several workers: in Redis, for every teacher socket
        self.announce: Callable[[Takeover], None] = lambda request: None  # tells the teacher (join_events)
        self.announce_lock: Callable[[int, Locked], None] = lambda session_id, member: None

    def forget_members(self, member_ids: list[str]) -> None:
        """Members erased: their wrong tries, lock and throttle are forgotten now (in Redis too)."""
        for member_id in member_ids:
            self.locks.unlock(member_id)
            self.member_limit.forget(member_id)

    def owned_class(self, db: sqlite_utils.Database, user: dict, class_id: Any) -> int | None:
        """The class a session is opened for, checked against its teacher (open_session)."""
        return class_owned(db, user, class_id)

    def pad(self) -> list[dict]:
        """The secret pad's pictures {id, url, label} (label in the page's language)."""
        from flask_babel import gettext

        return [{**p, "label": gettext(pictograms.label(p["id"]))} for p in join_secrets.pad()]

    def page(self, db: sqlite_utils.Database, session: dict) -> dict | None:
        """The members the join page shows (None: a session without a class)."""
        return page_members(db, session)

    def _check_secret(self, expected: list[str], given: Any, member: Locked, session_id: int, sid: str,
                      address: str) -> None:
        member_id = member.member_id
        if self.locks.is_locked(member_id):
            raise SecretLocked(member, session_id, False)
        keys = [(self.connection_limit, sid), (self.address_limit, address), (self.member_limit, member_id)]
        if any(limit.blocked(key) for limit, key in keys):
            raise ClassroomError("rate_limited", "secret")
        if given is None:
            raise refusal("secret_required")
        if not join_secrets.matches(expected, given):
            for limit, key in keys:
                limit.allow(key)
            if self.locks.wrong(member):
                raise SecretLocked(member, session_id, True)
            raise refusal("wrong_secret")

    def join(self, data: dict, sid: str, address: str) -> dict:
        """A member joins (or comes back): {session, pupil, token, activity}; TakeoverNeeded if online elsewhere."""
        code = normalize_code(data.get("code"))
        member_id = data.get("member_id")
        if code is None:
            raise ClassroomError("unknown_code")
        if not isinstance(member_id, str) or not 0 < len(member_id) <= 64:
            raise ClassroomError("malformed", "member_id")
        classroom = self.classroom

        def job(db: sqlite_utils.Database) -> tuple:
            session = store.find_session(db, code)
            if session is None:
                raise ClassroomError("unknown_code")
            if session["state"] != "open":
                raise ClassroomError("closed")
            if session["class_id"] is None:
                raise refusal("no_class")
            member = db.execute("SELECT class_id, name, picture FROM class_members WHERE id = ?", [member_id]).fetchone()
            if member is None or member[0] != session["class_id"]:
                gone = db.execute("SELECT 1 FROM classes WHERE id = ?", [session["class_id"]]).fetchone() is None
                raise refusal("class_gone" if gone else "unknown_member")
            expected = join_secrets.member_secret(db, member_id)
            if expected is not None:
                self._check_secret(expected, data.get("secret"), Locked(member_id, session["class_id"], member[1],
                                   pictograms.url(member[2])), session["id"], sid, address)
            pupil = store.member_pupil(db, session["id"], member_id)
            if pupil is not None and pupil["removed"]:
                raise ClassroomError("removed")
            if pupil is not None:
                if any(other != sid for other in classroom.presence.pupil_sids(session["id"], pupil["id"])):
                    return session, pupil, member, None, True
                pupil = renew(db, pupil)  # the device it used before can no longer come back with its token
                classroom.rules.forget("pupil", pupil["id"])  # its cached nonce is the old one
            else:
                pupil = store.add_pupil(db, session, member[1], classroom.max_pupils, member_id)
            return session, pupil, member, store.current_activity_for(db, session["id"], pupil["id"]), False

        try:
            session, pupil, member, activity, busy = classroom.writer.run(job)
        except SecretLocked as locked:
            if locked.new:
                self.announce_lock(locked.session_id, locked.member)
            raise
        classroom.rules.forget("pupil", pupil["id"])  # again once committed (a rolled-back batch re-read it)
        if busy:
            request = self._ask(session["id"], pupil, member_id, member, sid)
            self.announce(request)
            raise TakeoverNeeded(request)
        return self.joined(session, pupil, activity)

    def joined(self, session: dict, pupil: dict, activity: dict | None) -> dict:
        """The join result, with a device token for this pupil."""
        token = tokens.make_token(self.classroom.secret_key, session["id"], pupil["id"], pupil["nonce"])
        return {"session": session, "pupil": pupil, "token": token, "activity": activity}

    def _ask(self, session_id: int, pupil: dict, member_id: str, member: tuple, sid: str) -> Takeover:
        request = Takeover(uuid.uuid4().hex, session_id, pupil["id"], member_id, sid, pupil["name"],
                           pictograms.url(member[2]))
        self.takeovers.add(request)
        return request

    def waiting(self, session_id: int) -> list[dict]:
        """The takeovers waiting for this session's teacher, oldest first (asked on any worker)."""
        return [p.public() for p in self.takeovers.waiting(session_id)]

    def take(self, request_id: Any, session_id: int) -> Takeover:
        """Remove and return a waiting takeover of this session."""
        request = self.takeovers.take(request_id, session_id) if isinstance(request_id, str) else None
        if request is None:
            raise refusal("unknown_request")
        return request

    def allow(self, request: Takeover) -> dict:
        """The teacher allows the new device: the pupil's token changes (the old device is out)."""
        def job(db: sqlite_utils.Database) -> tuple:
            session, pupil = store.get_session(db, request.session_id), store.get_pupil(db, request.pupil_id)
            if session is None or session["state"] != "open":
                raise ClassroomError("closed")
            if pupil is None or pupil["removed"]:
                raise ClassroomError("removed")
            pupil = renew(db, pupil)
            self.classroom.rules.forget("pupil", pupil["id"])  # its cached nonce is the old one
            return session, pupil, store.current_activity_for(db, session["id"], pupil["id"])

        session, pupil, activity = self.classroom.writer.run(job)
        self.classroom.rules.forget("pupil", pupil["id"])
        return self.joined(session, pupil, activity)


def renew(db: sqlite_utils.Database, pupil: dict) -> dict:
    """Write: a new nonce for the pupil's device token (tokens made before are revoked)."""
    nonce = random.token_hex(8)
    db.execute("UPDATE classroom_pupils SET nonce = ? WHERE id = ?", [nonce, pupil["id"]])
    return {**pupil, "nonce": nonce}
