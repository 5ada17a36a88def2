"""After a Redis outage: what this worker's sockets missed from the other workers, sent again.

While Redis was down each worker reached only its own sockets: a push made through another
worker never came, nor did other workers' answers and presence on this worker's dashboards.
When Redis answers again, this worker's pupils get their current activity if it was pushed
during the outage (the pupil page ignores an activity it already shows), and its dashboards
get `resync`, on which they `watch` again (pupils, answers, current activity from SQLite).
"""

from __future__ import annotations

import logging
from typing import Any

from classbox.classroom import store
from classbox.storage import get_db

log = logging.getLogger("classbox.classroom")
NS = "/classroom"
MARGIN_S = 2.0  # a push a moment before the first failed call may not have crossed either


def catch_up(socketio: Any, classroom: Any, app: Any, down_since: float) -> None:
    """Send this worker's own sockets what the outage that began at `down_since` kept from them."""
    presence = classroom.presence
    with presence.lock:
        pupils = {s: {p: sorted(sids) for p, sids in table.items()} for s, table in presence.pupils.items()}
        teachers = sorted(sid for sids in presence.teachers.values() for sid in sids)
    with app.app_context():
        db = get_db()
        for session_id, table in pupils.items():
            for pupil_id, sids in table.items():
                activity = store.current_activity_for(db, session_id, pupil_id)
                if activity is None or (activity.get("created_wall") or 0) < down_since - MARGIN_S:
                    continue
                for sid in sids:
                    socketio.server.emit("activity", classroom.view(activity), to=sid, namespace=NS,
                                         ignore_queue=True)
    for sid in teachers:
        socketio.server.emit("resync", {}, to=sid, namespace=NS, ignore_queue=True)
    log.info("caught up after Redis came back: %d sessions, %d dashboards", len(pupils), len(teachers))
