"""What the sync keeps about one pupil: outbox records and roster entries (export, erase)."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from classbox.features import hook


def _pseudonyms(db: sqlite_utils.Database, pupil_id: str) -> set[str]:
    names = set()
    for (payload,) in db.execute("SELECT payload FROM outbox WHERE pupil_id = ?", [pupil_id]).fetchall():
        try:
            name = (json.loads(payload).get("pupil") or {}).get("name")
        except (ValueError, AttributeError):
            continue
        if name:
            names.add(str(name))
    return names


@hook
def privacy_export(db: sqlite_utils.Database, pupil_id: str) -> dict[str, Any]:
    """The pupil's outbox rows (decoded) and roster rows."""
    rows = db.execute("SELECT seq, kind, target, state, payload, created_wall, delivered_wall "
                      "FROM outbox WHERE pupil_id = ? ORDER BY seq", [pupil_id]).fetchall()
    records = []
    for seq, kind, target, state, payload, created, delivered in rows:
        try:
            body = json.loads(payload)
        except ValueError:
            body = payload
        records.append({"seq": seq, "kind": kind, "target": target, "state": state,
                        "payload": body, "created_wall": created, "delivered_wall": delivered})
    roster = []
    for name in sorted(_pseudonyms(db, pupil_id)):
        for row in db.execute("SELECT pseudonym, ent_login, class_name FROM sync_roster WHERE pseudonym = ?",
                              [name]).fetchall():
            roster.append(dict(zip(("pseudonym", "ent_login", "class_name"), row)))
    return {"outbox": records, "roster": roster}


@hook
def privacy_erase(db: sqlite_utils.Database, pupil_id: str) -> int:
    """Delete the pupil's outbox rows (pending ones too: they will never leave) and roster rows."""
    names = _pseudonyms(db, pupil_id)
    with db.conn:
        count = db.execute("DELETE FROM outbox WHERE pupil_id = ?", [pupil_id]).rowcount
        for name in names:
            count += db.execute("DELETE FROM sync_roster WHERE pseudonym = ?", [name]).rowcount
    return count
