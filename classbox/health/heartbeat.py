"""Fleet heartbeat: push the latest metrics to the fleet's Prometheus Pushgateway.

The outcome of each push is kept in RAM (volatile.db) and logged only when it changes: a
Pushgateway out of reach all weekend writes neither the SD card nor the journal every round.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

import sqlite_utils
from prometheus_client import push_to_gateway

from classbox.config import Config
from classbox.health.metrics import registry_for
from classbox.health.report import HEARTBEAT_KEY, build_report
from classbox.storage import open_database
from classbox.storage.core import get_state, set_state
from classbox.storage.volatile import open_volatile

log = logging.getLogger("classbox.health")

PUSH_TIMEOUT_S = 10.0
JOB = "classbox"


def grouping_key(config: Config, box_id: str) -> dict[str, str]:
    """The Pushgateway grouping labels: instance = box id, uai and académie when known."""
    key = {"instance": box_id}
    if config["box"]["school_uai"]:
        key["uai"] = config["box"]["school_uai"]
    if config["box"]["academie"]:
        key["academie"] = config["box"]["academie"]
    return key


def link_up(report: dict[str, Any]) -> bool:
    """False only when the latest sample says no network interface is up."""
    interfaces = ((report.get("sample") or {}).get("system") or {}).get("interfaces_up")
    return interfaces is None or bool(interfaces)


def record(db: sqlite_utils.Database, ok: bool, now: float, error: str = "",
           gateway: str = "") -> dict[str, Any]:
    """Remember the outcome of a push (shown on /admin, alert after a failure); log a change."""
    with db.conn:
        previous = get_state(db, HEARTBEAT_KEY, {}) or {}
        since = previous.get("since") if previous.get("ok") == ok and previous.get("since") else now
        beat = {"ok": ok, "last_attempt_wall": now, "since": since, "error": error[:300],
                "last_ok_wall": now if ok else previous.get("last_ok_wall"),
                "failures": 0 if ok else int(previous.get("failures") or 0) + 1}
        set_state(db, HEARTBEAT_KEY, beat)
    if not ok and (previous.get("ok", True) or previous.get("error") != beat["error"]):
        log.warning("fleet heartbeat to %s failed: %s (logged again when this changes)", gateway, error)
    elif ok and previous.get("ok") is False:
        log.info("fleet heartbeat to %s works again", gateway)
    return beat


def push_once(db: sqlite_utils.Database, config: Config, box_id: str,
              push: Callable[..., None] = push_to_gateway, now: float | None = None,
              timeout: float | None = None, vol: sqlite_utils.Database | None = None) -> dict[str, Any]:
    """Push the metrics once; never raises; the outcome is kept in `vol` (RAM), else in `db`."""
    now = time.time() if now is None else now
    gateway = config["fleet"]["pushgateway"]
    store = db if vol is None else vol
    try:
        report = build_report(db, config, box_id, now)
        if not link_up(report):
            return record(store, False, now, "pas de réseau (aucune interface active)", gateway)
        push(gateway, job=JOB, registry=registry_for(lambda: report),
             grouping_key=grouping_key(config, box_id), timeout=timeout or PUSH_TIMEOUT_S)
    except Exception as err:  # network, HTTP, DNS: logged and shown, never fatal
        return record(store, False, now, f"{type(err).__name__}: {err}", gateway)
    return record(store, True, now, gateway=gateway)


class HeartbeatService:
    """Agent service "fleet-heartbeat": a push every [fleet] interval_s."""

    name = "fleet-heartbeat"

    def __init__(self, config: Config):
        self.config = config

    def run(self, stop: threading.Event) -> None:
        """Push until stopped; a failing push only waits for the next round."""
        from classbox.web.datadir import box_id

        identity = box_id(self.config)
        interval = max(5.0, self.config["fleet"]["interval_s"])
        db = open_database(self.config.data_dir, durable=False)
        vol = open_volatile(self.config)
        try:
            stop.wait(min(10.0, interval))  # let the sampler store a first sample
            while not stop.is_set():
                push_once(db, self.config, identity, vol=vol)
                stop.wait(interval)
        finally:
            db.conn.close()
            vol.conn.close()
