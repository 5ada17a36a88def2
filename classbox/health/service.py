"""The agent's health sampler: a sample every [health] interval_s, stored with its alerts."""

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

log = logging.getLogger("classbox.health")

LATEST_KEY = "health.latest"
ALERTS_KEY = "health.alerts"
LATCH_KEY = "health.latched"


def store(db: sqlite_utils.Database, sample: dict[str, Any], cfg: dict[str, Any]) -> dict[str, dict]:
    """Save a sample as the latest, add it to the history and update the alerts (one transaction)."""
    with db.conn:
        previous = get_state(db, ALERTS_KEY, {})
        current = alerts.evaluate(sample, cfg, previous if isinstance(previous, dict) else {})
        set_state(db, LATEST_KEY, sample)
        set_state(db, ALERTS_KEY, current)
        history.record(db, sample)
    return current


class HealthService:
    """Agent service "health": samples, history and alerts."""

    name = "health"

    def __init__(self, config: Config, readers: Readers | None = None):
        self.config = config
        self.sampler = Sampler(config, readers)
        self._latch_loaded = False

    def _restore_latch(self, db: sqlite_utils.Database) -> None:
        """Power flags latched earlier in this boot survive an agent restart."""
        self._latch_loaded = True
        saved = get_state(db, LATCH_KEY)
        if not isinstance(saved, dict) or not isinstance(saved.get("flags"), dict):
            return
        if saved.get("boot_id") and saved["boot_id"] == boot_id(self.sampler.readers):
            self.sampler.counters.latched.update({k: bool(v) for k, v in saved["flags"].items()})

    def tick(self, db: sqlite_utils.Database) -> dict[str, Any]:
        """Take and store one sample."""
        if not self._latch_loaded:
            self._restore_latch(db)
        sample = self.sampler.sample(db)
        store(db, sample, self.config["health"])
        latched = self.sampler.counters.latched
        if any(latched.values()):
            with db.conn:
                set_state(db, LATCH_KEY, {"boot_id": sample["boot_id"], "flags": latched})
        return sample

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
        finally:
            db.conn.close()
