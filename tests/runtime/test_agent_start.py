"""The agent starts the advertiser early: no Flask on its path, services started as they are made."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from classbox import features
from classbox.config import ConfigError
from classbox.runtime import agent

AGENT_IMPORTS = r"""
import json, sys
import click
from classbox.cli import cli
from classbox.config import load_config
from classbox.web.datadir import prepare_data_dir
from classbox import features

assert cli.get_command(click.Context(cli), "agent") is not None
config = load_config(None, env={}, overrides={"data_dir": sys.argv[1], "web.host": "0.0.0.0"})
prepare_data_dir(config).conn.close()
names = [s.name for make in features.hooks("agent_services") for s in make(config)]
web = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "werkzeug", "jinja2", "flask_babel"))
print(json.dumps({"services": names, "web_modules": web}))
"""


def test_the_agent_starts_without_the_web_stack(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    out = subprocess.run([sys.executable, "-c", AGENT_IMPORTS, str(tmp_path / "data")], env=env,
                         capture_output=True, text=True, check=True, timeout=60)
    result = json.loads(out.stdout)
    assert "discovery" in result["services"]
    assert result["web_modules"] == [], "Flask slows the agent's start: import it in the web code only"


class _Service:
    def __init__(self, name: str, log: list[str]):
        self.name = name
        self._log = log
        self.started = threading.Event()

    def run(self, stop: threading.Event) -> None:
        self.started.set()
        stop.wait(5)
        self._log.append(f"{self.name} stopped")


def test_a_service_starts_before_the_next_feature_makes_its_own(monkeypatch):
    log: list[str] = []
    first = _Service("first", log)

    def make_second(config):
        log.append(f"first running when second made: {first.started.wait(5)}")
        return [_Service("second", log)]

    monkeypatch.setattr(features, "hooks", lambda name: [lambda config: [first], make_second])
    stop = threading.Event()
    services, threads = agent.start_services(None, stop)
    stop.set()
    for thread in threads:
        thread.join(5)
    assert [s.name for s in services] == ["first", "second"]
    assert log[0] == "first running when second made: True"


def test_a_feature_failing_to_start_stops_those_already_running(monkeypatch):
    log: list[str] = []
    first = _Service("first", log)

    def broken(config):
        first.started.wait(5)
        raise ConfigError("[sync] bad value")

    monkeypatch.setattr(features, "hooks", lambda name: [lambda config: [first], broken])
    stop = threading.Event()
    with pytest.raises(ConfigError):
        agent.start_services(None, stop)
    assert stop.is_set()
    assert log == ["first stopped"]


def test_discovery_starts_before_sync():
    assert features.FEATURES.index("classbox.discovery") < features.FEATURES.index("classbox.sync")
