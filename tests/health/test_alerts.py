"""Alerts: levels from the config thresholds, and "since when" kept until the level changes."""

from __future__ import annotations

import copy

import pytest

from classbox.health import alerts
from classbox.health.service import ALERTS_KEY, store
from classbox.storage.core import get_state


def sample_at(wall: float, **changes) -> dict:
    """A healthy sample, with some values replaced."""
    sample = {
        "wall": wall,
        "system": {
            "disk": {"percent": 40.0, "free_bytes": 10 * 10 ** 9, "total_bytes": 32 * 10 ** 9, "used_bytes": 0},
            "temperature_celsius": 50.0, "memory": {"percent": 30.0},
            "throttling": {"now": {"under_voltage": False, "throttled": False, "freq_capped": False,
                                   "soft_temp_limit": False},
                           "since_boot": {"under_voltage": False, "throttled": False, "freq_capped": False,
                                          "soft_temp_limit": False}},
            "clock_synced": True,
        },
        "app": {"outbox": {"targets": {}, "pending": 0, "dead": 0},
                "db_integrity": {"ok": True, "problems": []},
                "backup": {"wall_time": wall - 3600}},
    }
    for path, value in changes.items():
        node = sample
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return sample


@pytest.fixture
def cfg(config):
    return config["health"]


def levels(result: dict) -> dict:
    return {k: v["level"] for k, v in result.items()}


def test_healthy_box_is_all_ok(cfg):
    result = alerts.evaluate(sample_at(1000.0), cfg)
    assert set(levels(result).values()) == {"ok"}


@pytest.mark.parametrize("changes, alert_id, level", [
    ({"system__disk__percent": 91.0}, "disk", "warn"),
    ({"system__disk__percent": 98.0}, "disk", "critical"),
    ({"system__disk": None}, "disk", "warn"),
    ({"system__temperature_celsius": 81.0}, "temperature", "warn"),
    ({"system__temperature_celsius": 86.0}, "temperature", "critical"),
    ({"system__throttling__now__under_voltage": True}, "power", "critical"),
    ({"system__throttling__now__throttled": True}, "power", "warn"),
    ({"system__throttling__since_boot__under_voltage": True}, "power", "warn"),
    ({"system__memory__percent": 97.0}, "memory", "warn"),
    ({"app__outbox__targets": {"lrs": {"pending": 3, "dead": 0, "oldest_pending_age_seconds": 49 * 3600}}},
     "outbox", "warn"),
    ({"app__outbox__targets": {"lrs": {"pending": 3, "dead": 0, "oldest_pending_age_seconds": 8 * 86400}}},
     "outbox", "critical"),
    ({"app__outbox__dead": 2}, "dead_records", "warn"),
    ({"app__db_integrity": {"ok": False, "problems": ["page 7: btree corrupt"]}}, "db_integrity", "critical"),
    ({"system__clock_synced": False}, "clock", "warn"),
    ({"app__backup__wall_time": None}, "backup", "warn"),
    ({"app__backup__wall_time": 1000.0 - 8 * 86400}, "backup", "warn"),
])
def test_thresholds(cfg, changes, alert_id, level):
    result = alerts.evaluate(sample_at(1000.0, **changes), cfg)
    assert result[alert_id]["level"] == level
    assert [k for k, v in levels(result).items() if v != "ok"] == [alert_id]


def test_thresholds_come_from_config(config):
    cfg = dict(config["health"], disk_warn_percent=50.0)
    assert alerts.evaluate(sample_at(1000.0, system__disk__percent=60.0), cfg)["disk"]["level"] == "warn"


def test_clock_learned_from_the_ent_is_enough(cfg):
    sample = sample_at(1000.0, system__clock_synced=False)
    sample["app"]["sync"] = {"clock_known": True}
    assert alerts.evaluate(sample, cfg)["clock"]["level"] == "ok"
    sample["app"]["sync"] = {"clock_known": False}
    assert alerts.evaluate(sample, cfg)["clock"]["level"] == "warn"


def test_missing_sensors_are_not_alarms(cfg):
    result = alerts.evaluate(sample_at(1000.0, system__temperature_celsius=None, system__throttling=None), cfg)
    assert result["temperature"]["level"] == "ok" and result["power"]["level"] == "ok"


def test_malformed_sample_gives_a_warning_not_a_crash(cfg):
    result = alerts.evaluate(sample_at(1000.0, system__disk={"percent": "full"}), cfg)
    assert result["disk"]["level"] == "warn"


def test_transitions_keep_since_until_level_changes(cfg):
    state = alerts.evaluate(sample_at(1000.0), cfg)
    assert state["disk"] == dict(state["disk"], level="ok", since=1000.0)
    state = alerts.evaluate(sample_at(2000.0, system__disk__percent=92.0), cfg, state)
    assert (state["disk"]["level"], state["disk"]["since"]) == ("warn", 2000.0)
    state = alerts.evaluate(sample_at(3000.0, system__disk__percent=93.0), cfg, state)
    assert (state["disk"]["level"], state["disk"]["since"]) == ("warn", 2000.0)
    assert "93 %" in state["disk"]["message"]
    state = alerts.evaluate(sample_at(4000.0, system__disk__percent=99.0), cfg, state)
    assert (state["disk"]["level"], state["disk"]["since"]) == ("critical", 4000.0)
    state = alerts.evaluate(sample_at(5000.0), cfg, state)
    assert (state["disk"]["level"], state["disk"]["since"]) == ("ok", 5000.0)
    assert state["temperature"]["since"] == 1000.0


def test_alert_state_persists_between_samples(db, cfg):
    store(db, sample_at(1000.0, system__temperature_celsius=82.0), cfg)
    store(db, sample_at(1060.0, system__temperature_celsius=83.0), cfg)
    saved = get_state(db, ALERTS_KEY)
    assert saved["temperature"]["level"] == "warn" and saved["temperature"]["since"] == 1000.0


def test_worst_first_and_overall_status(cfg):
    result = alerts.evaluate(sample_at(1000.0, system__disk__percent=98.0, system__clock_synced=False), cfg)
    ordered = alerts.ordered(list(result.values()))
    assert [a["id"] for a in ordered[:2]] == ["disk", "clock"]
    assert alerts.worst(ordered) == "critical"
    assert alerts.worst([a for a in ordered if a["id"] != "disk"]) == "warn"
    assert alerts.worst([]) == "ok"


def test_evaluate_does_not_modify_the_previous_state(cfg):
    first = alerts.evaluate(sample_at(1000.0), cfg)
    snapshot = copy.deepcopy(first)
    alerts.evaluate(sample_at(2000.0, system__disk__percent=99.0), cfg, first)
    assert first == snapshot
