"""One health sample: system metrics plus the app's own, every reader guarded."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import sqlite_utils

from classbox.config import Config
from classbox.health import appstate
from classbox.health.readers import Readers
from classbox.health.readers.pi import boot_id
from classbox.health.system import Counters, guarded, sample_system
from classbox.storage.maintenance import integrity_check


class Sampler:
    """Takes samples; keeps counters between them and caches the costly readings."""

    def __init__(self, config: Config, readers: Readers | None = None,
                 integrity: Callable[[Path], list[str]] = integrity_check):
        self.config = config
        self.readers = readers or Readers()
        self.integrity = integrity
        self.counters = Counters()
        self._sizes: dict[str, int] | None = None
        self._sizes_at: float | None = None
        self._integrity: dict[str, Any] | None = None
        self._integrity_at: float | None = None

    def _due(self, last: float | None, every_s: float, now: float) -> bool:
        return last is None or now - last >= every_s or now < last

    def _cached_sizes(self, errors: dict[str, str], now: float) -> dict[str, int] | None:
        """Library and DB sizes, walked at most every [health] sizes_interval_s."""
        if self._due(self._sizes_at, self.config["health"]["sizes_interval_s"], now):
            sizes = guarded(errors, "sizes", lambda: appstate.sizes(self.config.data_dir))
            if sizes is not None:
                self._sizes, self._sizes_at = sizes, now
        return self._sizes

    def _cached_integrity(self, errors: dict[str, str], now: float, wall: float) -> dict[str, Any] | None:
        """The database integrity check, run at most every [health] integrity_interval_h."""
        if self._due(self._integrity_at, self.config["health"]["integrity_interval_h"] * 3600, now):
            problems = guarded(errors, "integrity", lambda: self.integrity(self.config.data_dir))
            if problems is not None:
                self._integrity = {"ok": not problems, "problems": problems[:5], "checked_wall": wall}
                self._integrity_at = now
        return self._integrity

    def sample(self, db: sqlite_utils.Database) -> dict[str, Any]:
        """Read everything once; a reader that fails leaves None and a note in "errors"."""
        from classbox.health.certificate import read_certificate  # cryptography: 9 MB the web workers never use

        r = self.readers
        wall, now = r.wall(), r.monotonic()
        boot = guarded({}, "boot_id", lambda: boot_id(r)) or ""
        system, errors = sample_system(r, self.counters, str(self.config.data_dir))
        app = {
            "classroom": guarded(errors, "classroom", lambda: appstate.classroom(db, self.config.runtime_dir)),
            "outbox": guarded(errors, "outbox", lambda: appstate.outbox(db, wall, now, boot)),
            "sync": guarded(errors, "sync", lambda: appstate.sync(db)),
            "backup": guarded(errors, "backup", lambda: appstate.backup(db)),
            "discovery": guarded(errors, "discovery", lambda: appstate.discovery(db)),
            "sizes": self._cached_sizes(errors, now),
            "db_integrity": self._cached_integrity(errors, now, wall),
            "tls": read_certificate(self.config["web"]["tls_certificate"], wall),
        }
        return {"wall": wall, "monotonic": now, "boot_id": boot, "system": system, "app": app,
                "errors": errors}
