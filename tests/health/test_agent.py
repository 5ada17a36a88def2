"""The real `classbox agent` process samples health into the database; `classbox health` reads it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from classbox.cli import cli
from tests.helpers import wait_until


def test_agent_process_records_samples(tmp_path, runner):
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    env.update(CLASSBOX_CONFIG=os.devnull, CLASSBOX_DATA_DIR=str(data_dir), CLASSBOX_HEALTH_INTERVAL_S="1",
               CLASSBOX_DISCOVERY_ENABLED="false", CLASSBOX_SYNC_ENABLED="false")
    log = open(tmp_path / "agent.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "classbox", "agent"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    reports: list[dict] = [{}]

    def sampled() -> bool:
        result = runner.invoke(cli, ["--config", os.devnull, "--data-dir", str(data_dir), "health", "--json"])
        if result.output.startswith("{"):
            reports.append(json.loads(result.output))
        done = bool(reports[-1].get("sample")) and reports[-1]["history"]["minute_points"] >= 1
        return done or proc.poll() is not None

    try:
        wait_until(sampled, 60, 0.5)
        report = reports[-1]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        log.close()
    assert report and report["sample"], (tmp_path / "agent.log").read_text()
    assert report["sample"]["system"]["memory"]["total_bytes"] > 0
    assert report["sample"]["system"]["cpu_percent"] is not None  # the primed counters gave a rate
    sampler = next(a for a in report["alerts"] if a["id"] == "sampler")
    assert sampler["level"] == "ok"
    assert proc.returncode == 0
