"""The sync window: when the box may use the uplink (e.g. "17:30-07:30" on weekdays)."""

from __future__ import annotations

import datetime as dt
import re

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class WindowError(ValueError):
    """The [sync] window setting cannot be understood."""


class SyncWindow:
    """Daily spans on weekdays (Mon–Fri); weekends are always open. Empty means always open."""

    def __init__(self, spec: str = "", weekends_open: bool = True):
        self.spec = spec.strip()
        self.weekends_open = weekends_open
        self.spans: list[tuple[int, int]] = []
        for part in filter(None, (p.strip() for p in self.spec.split(","))):
            match = _SPAN.match(part)
            if not match:
                raise WindowError(f"[sync] window: cannot read {part!r} (expected HH:MM-HH:MM)")
            h1, m1, h2, m2 = (int(x) for x in match.groups())
            if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
                raise WindowError(f"[sync] window: invalid time in {part!r}")
            self.spans.append((h1 * 60 + m1, h2 * 60 + m2))

    def is_open(self, when: dt.datetime) -> bool:
        """Whether the uplink may be used at local time `when`."""
        if not self.spans:
            return True
        if self.weekends_open and when.weekday() >= 5:
            return True
        minute = when.hour * 60 + when.minute
        for start, end in self.spans:
            if start <= end and start <= minute < end:
                return True
            if start > end and (minute >= start or minute < end):
                return True
        return False

    def seconds_left(self, when: dt.datetime, horizon_s: int = 86400 * 3) -> float:
        """Seconds until the window closes (0 if closed now; horizon if it never closes soon)."""
        if not self.is_open(when):
            return 0.0
        step = 60
        base = when.replace(second=0, microsecond=0)
        for minutes in range(1, horizon_s // step + 1):
            probe = base + dt.timedelta(minutes=minutes)
            if not self.is_open(probe):
                return max(0.0, (probe - when).total_seconds())
        return float(horizon_s)
