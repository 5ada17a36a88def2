"""The health report shared by /api/health, `classbox health`, /metrics and /admin."""

from __future__ import annotations

import shutil
import sqlite3
from typing import Any

import sqlite_utils

from classbox.config import Config
from classbox.health import alerts, history
from classbox.health.appstate import states
from classbox.health.service import ALERTS_KEY, LATEST_KEY
from classbox.storage.volatile import reading_volatile
from classbox.version import __version__
from classbox.web.i18n_marks import N_

HEARTBEAT_KEY = "health.heartbeat"
STALE_INTERVALS = 3


def _sampler_alert(sample: dict | None, cfg: dict, now: float) -> dict[str, Any]:
    """Warn when the agent has not sampled lately (stopped, stuck, or never started)."""
    if sample is None:
        return alerts.alert("sampler", N_("Mesures"), "warn",
                            N_("Aucune mesure enregistrée : l'agent classbox est-il lancé ?"), None, now)
    age = now - sample["wall"]
    if age > STALE_INTERVALS * max(cfg["interval_s"], 1.0) or age < -300:
        return alerts.alert("sampler", N_("Mesures"), "warn",
                            (N_("Dernière mesure il y a %(minutes)s min : l'agent est-il arrêté ?"),
                             {"minutes": round(age / 60)}), age, sample["wall"])
    return alerts.alert("sampler", N_("Mesures"), "ok", N_("Mesures à jour"), age, sample["wall"])


def _heartbeat_alert(beat: Any, now: float) -> dict[str, Any] | None:
    """Warn when the last push to the fleet's Pushgateway failed."""
    if not isinstance(beat, dict):
        return None
    if beat.get("ok"):
        return alerts.alert("heartbeat", N_("Supervision de la flotte"), "ok",
                            N_("Dernier envoi à la supervision réussi"), beat.get("last_ok_wall"),
                            beat.get("since") or now)
    return alerts.alert("heartbeat", N_("Supervision de la flotte"), "warn",
                        (N_("Envoi à la supervision impossible : %(error)s"), {"error": str(beat.get("error", "?"))[:260]}),
                        beat.get("last_ok_wall"), beat.get("since") or now)


def _handins_alert(config: Config, now: float) -> dict[str, Any] | None:
    """Warn while free space is below [classroom] handin_min_free_mb (hand-ins are refused then)."""
    floor = config["classroom"]["handin_min_free_mb"]
    try:
        free = shutil.disk_usage(config.data_dir).free // (1024 * 1024)
    except OSError:
        return None  # the disk check says so already
    if free < floor:
        return alerts.alert("handins", N_("Dépôts de travaux"), "warn",
                            (N_("Photos et fichiers des élèves refusés : %(free)s Mo libres, seuil %(floor)s Mo"),
                             {"free": free, "floor": floor}), free, now)
    return None


def _valid_sample(sample: Any) -> dict[str, Any] | None:
    """The stored sample if it looks like one."""
    return sample if isinstance(sample, dict) and isinstance(sample.get("wall"), (int, float)) else None


def build_report(db: sqlite_utils.Database, config: Config, box_id: str, now: float,
                 uptime_seconds: float | None = None) -> dict[str, Any]:
    """Everything the box knows about its health, as JSON-ready data (schema in docs/health.md)."""
    with reading_volatile(config) as vol:
        return _build_report(db, vol, config, box_id, now, uptime_seconds)


def _latest(db: sqlite_utils.Database, vol: sqlite_utils.Database | None) -> dict[str, Any]:
    """The latest sample, alerts and push outcome from RAM (volatile.db), else from disk."""
    found = states(db, [LATEST_KEY, ALERTS_KEY, HEARTBEAT_KEY])
    if vol is not None:
        kept = states(vol, [LATEST_KEY, ALERTS_KEY, HEARTBEAT_KEY])
        if kept[LATEST_KEY] is not None:
            found.update({LATEST_KEY: kept[LATEST_KEY], ALERTS_KEY: kept[ALERTS_KEY]})
        if kept[HEARTBEAT_KEY] is not None:
            found[HEARTBEAT_KEY] = kept[HEARTBEAT_KEY]
    return found


def _build_report(db: sqlite_utils.Database, vol: sqlite_utils.Database | None, config: Config,
                  box_id: str, now: float, uptime_seconds: float | None) -> dict[str, Any]:
    box = {"id": box_id, "name": config["box"]["name"], "school_uai": config["box"]["school_uai"],
           "academie": config["box"]["academie"]}
    body: dict[str, Any] = {"status": "ok", "version": __version__, "box": box,
                            "uptime_seconds": uptime_seconds, "generated_wall": now}
    try:
        found = _latest(db, vol)
        sample = _valid_sample(found[LATEST_KEY])
        stored, beat = found[ALERTS_KEY], found[HEARTBEAT_KEY]
        counts = history.counts(db, vol)
    except sqlite3.Error as err:
        body.update(status="critical", db={"ok": False, "error": str(err)[:200]}, sample=None,
                    alerts=[alerts.alert("db", N_("Base de données"), "critical",
                                         N_("Base de données inaccessible"), None, now)],
                    heartbeat=None, history=None)
        return body
    found = [a for a in (stored or {}).values() if isinstance(a, dict) and a.get("level") in alerts.RANK] \
        if isinstance(stored, dict) else []
    found.append(_sampler_alert(sample, config["health"], now))
    handins_alert = _handins_alert(config, now)
    if handins_alert:
        found.append(handins_alert)
    beat_alert = _heartbeat_alert(beat, now) if config["fleet"]["pushgateway"] else None
    if beat_alert:
        found.append(beat_alert)
    integrity = ((sample or {}).get("app") or {}).get("db_integrity")
    body.update(
        status=alerts.worst(found),
        db={"ok": True, "integrity_ok": None if integrity is None else integrity["ok"],
            "integrity_checked_wall": None if integrity is None else integrity.get("checked_wall")},
        alerts=alerts.ordered(found),
        sample=None if sample is None else dict(sample, age_seconds=round(now - sample["wall"], 1)),
        heartbeat=beat if isinstance(beat, dict) else None,
        history=counts,
    )
    return body


EXIT_CODES = {"ok": 0, "warn": 1, "critical": 2}
