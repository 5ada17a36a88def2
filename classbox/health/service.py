"""The agent's health sampler: a sample every [health] interval_s, kept in RAM with its alerts.

The latest sample, the alerts and the new minute points go to the volatile database (tmpfs,
storage/volatile.py), which web reads too; the minute points are written down to classbox.db
every [health] persist_interval_s and when the agent stops (health/history.py).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import sqlite_utils

from classbox.config import Config
from classbox.health import alerts, history
from classbox.health.readers import Readers
from classbox.health.readers.pi import boot_id
from classbox.health.sampler import Sampler
from classbox.storage import open_database
from classbox.storage.core import get_state, set_state
from classbox.storage.volatile import open_volatile

log = logging.getLogger("classbox.health")

LATEST_KEY = "health.latest"
ALERTS_KEY = "health.alerts"
LATCH_KEY = "health.latched"


def store(vol: sqlite_utils.Database, sample: dict[str, Any], cfg: dict[str, Any],
          db: sqlite_utils.Database | None = None) -> dict[str, dict]:
    """Keep a sample as the latest, with its minute point and the updated alerts (one transaction)."""
    with vol.conn:
        previous = get_state(vol, ALERTS_KEY, {})
        current = alerts.evaluate(sample, cfg, previous if isinstance(previous, dict) else {})
        set_state(vol, LATEST_KEY, sample)
        set_state(vol, ALERTS_KEY, current)
        history.keep(vol, sample, db)
    return current


class HealthService:
    """Agent service "health": samples, history and alerts."""

    name = "health"

    def __init__(self, config: Config, readers: Readers | None = None):
        self.config = config
        self.sampler = Sampler(config, readers)
        self._latch_loaded = False
        self._latched_saved: dict[str, bool] = {}
        self._vol: sqlite_utils.Database | None = None
        self._persisted_at: float | None = None

    @property
    def vol(self) -> sqlite_utils.Database:
        """The volatile database (opened on first use)."""
        if self._vol is None:
            self._vol = open_volatile(self.config)
        return self._vol

    def close(self) -> None:
        """Close the volatile database (opened again by the next sample, if any)."""
        if self._vol is not None:
            self._vol.conn.close()
            self._vol = None

    def _restore_latch(self, db: sqlite_utils.Database) -> None:
        """Power flags latched earlier in this boot survive an agent restart."""
        self._latch_loaded = True
        saved = get_state(db, LATCH_KEY)
        if not isinstance(saved, dict) or not isinstance(saved.get("flags"), dict):
            return
        if saved.get("boot_id") and saved["boot_id"] == boot_id(self.sampler.readers):
            self.sampler.counters.latched.update({k: bool(v) for k, v in saved["flags"].items()})
            self._latched_saved = dict(self.sampler.counters.latched)

    def tick(self, db: sqlite_utils.Database) -> dict[str, Any]:
        """Take and keep one sample; write the history down when persist_interval_s has passed."""
        if not self._latch_loaded:
            self._restore_latch(db)
        sample = self.sampler.sample(db)
        store(self.vol, sample, self.config["health"], db)
        latched = self.sampler.counters.latched
        if any(latched.values()) and latched != self._latched_saved:  # written once per change
            with db.conn:
                set_state(db, LATCH_KEY, {"boot_id": sample["boot_id"], "flags": latched})
            self._latched_saved = dict(latched)
        now = sample["monotonic"]
        if self._persisted_at is None or not 0 <= now - self._persisted_at < self.config["health"]["persist_interval_s"]:
            if self._persisted_at is not None:
                self.persist(db)
            self._persisted_at = now
        return sample

    def persist(self, db: sqlite_utils.Database) -> int:
        """Write the minute points kept in RAM down to the database."""
        return history.persist(db, self.vol)

    def run(self, stop: threading.Event) -> None:
        """Sample until stopped; the first sample only primes the CPU and I/O counters' rates."""
        interval = max(1.0, self.config["health"]["interval_s"])
        db = open_database(self.config.data_dir, durable=False)
        try:
            self._restore_latch(db)
            self.sampler.sample(db)  # prime the counters so the first stored sample has rates
            stop.wait(min(5.0, interval))
            while not stop.is_set():
                try:
                    self.tick(db)
                except Exception:
                    log.exception("health sample failed")
                stop.wait(interval)
            self.persist(db)  # a clean stop loses nothing
        finally:
            db.conn.close()
            self.close()
