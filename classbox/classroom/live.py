"""Who is connected right now: Socket.IO connections of pupils and teachers, per session (in memory)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from classbox.classroom.errors import ClassroomError

MAX_EVENT_BYTES = 64 * 1024


@dataclass
class Conn:
    """One Socket.IO connection on /classroom."""

    sid: str
    role: str  # "pupil" or "teacher"
    user: dict | None = None
    session_id: int | None = None
    pupil_id: str | None = None
    locale: str = "fr_FR"  # the page's language when it connected (for acks sent outside a request)


@dataclass
class Presence:
    """Connections by sid, and who is online in each session."""

    conns: dict[str, Conn] = field(default_factory=dict)
    pupils: dict[int, dict[str, set[str]]] = field(default_factory=dict)
    teachers: dict[int, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def connect(self, conn: Conn) -> None:
        with self.lock:
            self.conns[conn.sid] = conn

    def get(self, sid: str) -> Conn | None:
        return self.conns.get(sid)

    def attach_pupil(self, sid: str, session_id: int, pupil_id: str) -> bool:
        """Bind a connection to a pupil; True if the pupil just came online."""
        with self.lock:
            conn = self.conns[sid]
            self._detach(conn)
            conn.role, conn.session_id, conn.pupil_id = "pupil", session_id, pupil_id
            sids = self.pupils.setdefault(session_id, {}).setdefault(pupil_id, set())
            sids.add(sid)
            return len(sids) == 1

    def attach_teacher(self, sid: str, session_id: int) -> None:
        with self.lock:
            conn = self.conns[sid]
            self._detach(conn)
            conn.session_id = session_id
            self.teachers.setdefault(session_id, set()).add(sid)

    def disconnect(self, sid: str) -> tuple[Conn | None, bool]:
        """Forget a connection: (the connection, whether its pupil just went offline)."""
        with self.lock:
            conn = self.conns.pop(sid, None)
            if conn is None:
                return None, False
            return conn, self._detach(conn)

    def _detach(self, conn: Conn) -> bool:
        """Remove a connection from its session; True if it was a pupil's last connection."""
        if conn.session_id is None:
            return False
        if conn.role == "teacher":
            self.teachers.get(conn.session_id, set()).discard(conn.sid)
            return False
        pupils = self.pupils.get(conn.session_id, {})
        sids = pupils.get(conn.pupil_id, set())
        sids.discard(conn.sid)
        if not sids:
            pupils.pop(conn.pupil_id, None)
            return True
        return False

    def account_sids(self, user_id: int) -> list[str]:
        """The connections opened with a teacher's or admin's cookie (still acting as them)."""
        with self.lock:
            return [c.sid for c in self.conns.values() if c.user is not None and c.user["id"] == user_id]

    def pupil_sids(self, session_id: int, pupil_id: str) -> list[str]:
        return list(self.pupils.get(session_id, {}).get(pupil_id, ()))

    def online_pupils(self, session_id: int) -> list[str]:
        return list(self.pupils.get(session_id, {}))

    def counts(self) -> dict:
        """{"pupils", "teachers", "sessions"} connected now (for health's box_state)."""
        with self.lock:
            pupils = sum(len(p) for p in self.pupils.values())
            teachers = sum(1 for c in self.conns.values() if c.role == "teacher")
            sessions = len({s for s, p in self.pupils.items() if p} | {s for s, t in self.teachers.items() if t})
            return {"pupils": pupils, "teachers": teachers, "sessions": sessions}


def _size(data: Any) -> int:
    """An event's size as JSON; ClassroomError if it is not JSON at all."""
    try:
        return len(json.dumps(data, separators=(",", ":")))
    except (TypeError, ValueError):
        raise ClassroomError("malformed") from None


def checked_conn(classroom: Any, sid: str, data: Any, extra: tuple) -> Conn:
    """The sender's connection once size, shape and flood limits are checked (any event)."""
    conn = classroom.presence.get(sid)
    if conn is None:
        raise ClassroomError("not_joined")
    if extra or _size(data) > MAX_EVENT_BYTES:
        raise ClassroomError("too_large" if not extra else "malformed")
    if not classroom.event_limit.allow(sid):
        raise ClassroomError("rate_limited")
    return conn


def pupil_conn(classroom: Any, sid: str, data: Any, extra: tuple) -> Conn:
    """checked_conn for a pupil's event whose payload is an object: the joined pupil's connection."""
    conn = checked_conn(classroom, sid, data, extra)
    if not isinstance(data, dict):
        raise ClassroomError("malformed")
    if conn.role != "pupil" or conn.pupil_id is None:
        raise ClassroomError("not_joined")
    return conn
