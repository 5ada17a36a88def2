"""The box's idea of true time: anchors learned from peers' Date headers or timesyncd.

The wall clock of a box without RTC is wrong after a power cut, and may jump. Each boot gets an
anchor (true time at a CLOCK_MONOTONIC reading) once known; a record made during that boot is
then dated true_anchor - (mono_anchor - created_monotonic), whatever the wall clock said.
Records from a boot that never got an anchor keep their wall time and are flagged.
"""

from __future__ import annotations

import email.utils
import os
import time
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from classbox.storage.core import get_state, set_state
from classbox.sync.outbox import _boot_id as current_boot_id

STATE_KEY = "sync.clock"
TIMESYNC_FLAG = "/run/systemd/timesync/synchronized"
KEEP_BOOTS = 20
REANCHOR_S = 2.0
TIMESYNC_TRUST_S = 60.0  # a Date header (1 s precision) only overrides timesyncd beyond this


@dataclass(frozen=True)
class Dated:
    """A record's corrected timestamp and whether a known clock anchor backs it."""

    epoch: float
    anchored: bool
    before_known: bool = False


def parse_http_date(value: str | None) -> float | None:
    """Epoch seconds of an HTTP Date header, or None if absent or unreadable."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


class Clock:
    """Learns and applies clock anchors; state lives in box_state["sync.clock"]."""

    def __init__(self, db: sqlite_utils.Database, boot_id: str | None = None,
                 monotonic=time.monotonic, wall=time.time, timesync_flag: str = TIMESYNC_FLAG):
        self.db = db
        self.boot_id = boot_id if boot_id is not None else current_boot_id()
        self.monotonic = monotonic
        self.wall = wall
        self.timesync_flag = timesync_flag
        self.state: dict[str, Any] = get_state(db, STATE_KEY, None) or {"boots": {}}

    def _save(self) -> None:
        boots = self.state["boots"]
        if len(boots) > KEEP_BOOTS:
            for old in sorted(boots, key=lambda b: boots[b].get("learned", 0))[:-KEEP_BOOTS]:
                boots.pop(old)
        with self.db.conn:
            set_state(self.db, STATE_KEY, self.state)

    def _predicted(self, mono_now: float) -> float | None:
        """True time at `mono_now` according to this boot's anchor, if any."""
        boot = self.state["boots"].get(self.boot_id)
        return None if boot is None else boot["true"] + (mono_now - boot["mono"])

    def _anchor(self, true_now: float, mono_now: float, source: str) -> None:
        """Record that true time was `true_now` at monotonic `mono_now` in this boot."""
        current = self.state["boots"].get(self.boot_id)
        first = current.get("first_mono", mono_now) if current else mono_now
        self.state["boots"][self.boot_id] = {"true": true_now, "mono": mono_now, "source": source,
                                             "learned": true_now, "first_mono": first}
        self.state["offset_s"] = true_now - self.wall()
        self.state["source"] = source
        self._save()

    def check_timesyncd(self) -> bool:
        """Trust the wall clock when timesyncd says it is synchronized and nothing better is known.

        Only the first anchor of a boot comes from here: once a peer's Date header or an earlier
        anchor dated this boot, a wall clock moved later by hand does not override it.
        """
        if not os.path.exists(self.timesync_flag):
            return False
        if self.boot_id not in self.state["boots"]:
            self._anchor(self.wall(), self.monotonic(), "timesyncd")
        return True

    def observe_date(self, date_header: str | None, mono_sent: float, mono_recv: float) -> bool:
        """Learn from a peer's Date header, seen between two monotonic readings."""
        true = parse_http_date(date_header)
        if true is None:
            return False
        # The header's second was truncated: the true instant is about half a second later.
        true, mono = true + 0.5, (mono_sent + mono_recv) / 2
        predicted = self._predicted(mono)
        if predicted is not None:
            source = self.state["boots"][self.boot_id].get("source")
            tolerance = TIMESYNC_TRUST_S if source == "timesyncd" else REANCHOR_S
            if abs(predicted - true) < tolerance:
                return True
        self._anchor(true, mono, "date-header")
        return True

    def known(self) -> bool:
        """Whether this boot has an anchor."""
        return self.boot_id in self.state["boots"]

    def offset_s(self) -> float | None:
        """True time minus wall time for this boot, if known."""
        boot = self.state["boots"].get(self.boot_id)
        if boot is None:
            return None
        return boot["true"] + (self.monotonic() - boot["mono"]) - self.wall()

    def date(self, created_wall: float | None, created_monotonic: float | None,
             boot_id: str | None) -> Dated:
        """The true time of a record, from its boot's anchor when there is one."""
        boot = self.state["boots"].get(boot_id or "")
        if boot is not None and created_monotonic is not None:
            before = created_monotonic < boot.get("first_mono", boot["mono"])
            return Dated(boot["true"] - (boot["mono"] - created_monotonic), True, before)
        return Dated(created_wall if created_wall is not None else self.wall(), False, True)


def clock_summary(db: sqlite_utils.Database) -> dict[str, Any]:
    """What the box knows of its clock, for status pages."""
    state = get_state(db, STATE_KEY, None) or {}
    boot = (state.get("boots") or {}).get(current_boot_id())
    return {"known": boot is not None, "source": boot.get("source") if boot else None,
            "offset_s": state.get("offset_s")}
