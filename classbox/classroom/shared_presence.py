"""Presence across web workers: each worker publishes its own sockets to Redis, and reads the others'.

Per worker and session, a Redis hash `presence:<session>:<worker>` maps a pupil id to its socket
ids on that worker; `workers` (a sorted set) holds each worker's last beat. Every key expires
`TTL_S` after the worker's last beat, so a worker killed -9 drops out of presence by itself. A
beat also rewrites the whole of the worker's presence: after a Redis outage it is right again
within `BEAT_S`. While Redis does not answer, each worker answers from its own sockets.
"""

from __future__ import annotations

import json
import time
from typing import Any

from classbox.classroom.live import Conn, Presence
from classbox.runtime.shared import Shared

BEAT_S = 5.0
TTL_S = 15.0


class SharedPresence(Presence):
    """Presence whose answers include the sockets of every live worker (Redis), this one's in memory."""

    def __init__(self, shared: Shared) -> None:
        super().__init__()
        self.shared = shared

    def _hash(self, session_id: int, worker: str | None = None) -> str:
        return self.shared.key("presence", session_id, worker or self.shared.worker_id)

    def _others(self, client: Any) -> list[str]:
        """The workers that beat within TTL_S, this one excluded."""
        alive = client.zrangebyscore(self.shared.key("workers"), time.time() - TTL_S, "+inf")
        return [w.decode() for w in alive if w.decode() != self.shared.worker_id]

    def _publish(self, client: Any, session_id: int, pupil_id: str) -> None:
        with self.lock:
            sids = sorted(self.pupils.get(session_id, {}).get(pupil_id, ()))
        key = self._hash(session_id)
        if sids:
            client.pipeline().hset(key, pupil_id, " ".join(sids)).expire(key, int(TTL_S)).execute()
        else:
            client.hdel(key, pupil_id)

    def _elsewhere(self, client: Any, session_id: int, pupil_id: str) -> bool:
        """Whether another worker holds a socket of this pupil."""
        pipe = client.pipeline()
        for worker in self._others(client):
            pipe.hexists(self._hash(session_id, worker), pupil_id)
        return any(pipe.execute())

    def attach_pupil(self, sid: str, session_id: int, pupil_id: str) -> bool:
        """Bind a connection to a pupil; True if the pupil just came online on the whole box."""
        before = self.conns.get(sid)
        previous = (before.session_id, before.pupil_id) if before and before.pupil_id else None
        first_here = super().attach_pupil(sid, session_id, pupil_id)

        def publish(client: Any) -> bool:
            if previous and previous != (session_id, pupil_id):
                self._publish(client, *previous)
            self._publish(client, session_id, pupil_id)
            return first_here and not self._elsewhere(client, session_id, pupil_id)
        return self.shared.run(publish, lambda: first_here)

    def disconnect(self, sid: str) -> tuple[Conn | None, bool]:
        """Forget a connection: (the connection, whether its pupil just went offline on the whole box)."""
        conn, last_here = super().disconnect(sid)
        if conn is None or conn.role != "pupil" or conn.session_id is None or conn.pupil_id is None:
            return conn, last_here

        def publish(client: Any) -> bool:
            self._publish(client, conn.session_id, conn.pupil_id)
            return last_here and not self._elsewhere(client, conn.session_id, conn.pupil_id)
        return conn, self.shared.run(publish, lambda: last_here)

    def _all_sids(self, client: Any, session_id: int) -> dict[str, set[str]]:
        """pupil id → socket ids, over every live worker."""
        pipe = client.pipeline()
        for worker in self._others(client):
            pipe.hgetall(self._hash(session_id, worker))
        found: dict[str, set[str]] = {p: set(s) for p, s in self.pupils.get(session_id, {}).items()}
        for table in pipe.execute():
            for pupil, sids in table.items():
                found.setdefault(pupil.decode(), set()).update(sids.decode().split())
        return found

    def pupil_sids(self, session_id: int, pupil_id: str) -> list[str]:
        """The pupil's sockets on every worker."""
        return self.shared.run(lambda c: list(self._all_sids(c, session_id).get(pupil_id, ())),
                               lambda: super(SharedPresence, self).pupil_sids(session_id, pupil_id), writes=False)

    def online_pupils(self, session_id: int) -> list[str]:
        """The pupils with a socket on any worker."""
        return self.shared.run(lambda c: [p for p, s in self._all_sids(c, session_id).items() if s],
                               lambda: super(SharedPresence, self).online_pupils(session_id), writes=False)

    def counts(self) -> dict:
        """{"pupils", "teachers", "sessions"} connected to every worker, and whether Redis answers ("shared")."""
        mine = super().counts()
        with self.lock:
            sessions = {s for s, p in self.pupils.items() if p} | {s for s, t in self.teachers.items() if t}

        def total(client: Any) -> dict:
            pipe = client.pipeline()
            for worker in self._others(client):
                pipe.get(self.shared.key("counts", worker))
            summed = {"pupils": mine["pupils"], "teachers": mine["teachers"], "sessions": set(sessions)}
            for raw in pipe.execute():
                if raw:
                    other = json.loads(raw)
                    summed["pupils"] += other["pupils"]
                    summed["teachers"] += other["teachers"]
                    summed["sessions"].update(other["sessions"])
            return {**summed, "sessions": len(summed["sessions"]), "shared": True}
        found = self.shared.run(total, lambda: {**mine, "shared": False}, writes=False)
        return {**found, "shared": found["shared"] and self.shared.up}

    def beat(self) -> None:
        """Say this worker lives and rewrite all of its presence (after an outage too)."""
        with self.lock:
            tables = {s: {p: " ".join(sorted(sids)) for p, sids in pupils.items() if sids}
                      for s, pupils in self.pupils.items()}
            mine = {"pupils": sum(len(p) for p in self.pupils.values()),
                    "teachers": sum(1 for c in self.conns.values() if c.role == "teacher"),
                    "sessions": sorted({s for s, p in self.pupils.items() if p}
                                       | {s for s, t in self.teachers.items() if t})}

        def write(client: Any) -> None:
            pipe = client.pipeline()
            for session_id, table in tables.items():
                key = self._hash(session_id)
                pipe.delete(key)
                if table:
                    pipe.hset(key, mapping=table).expire(key, int(TTL_S))
            pipe.set(self.shared.key("counts", self.shared.worker_id), json.dumps(mine), ex=int(TTL_S))
            pipe.zadd(self.shared.key("workers"), {self.shared.worker_id: time.time()})
            pipe.zremrangebyscore(self.shared.key("workers"), "-inf", time.time() - 10 * TTL_S)
            pipe.execute()
        self.shared.run(write, lambda: None, probe=True)  # every BEAT_S: finds a hung Redis back


def beating(shared: Shared, worker_id: str) -> bool:
    """Whether a worker beat within TTL_S (it lives, maybe between two bus subscriptions); False if Redis fails."""
    score = shared.run(lambda c: c.zscore(shared.key("workers"), worker_id), lambda: None, writes=False)
    return score is not None and float(score) >= time.time() - TTL_S
