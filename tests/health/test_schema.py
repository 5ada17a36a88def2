"""/api/health and `classbox health --json` follow the JSON schema documented in docs/health.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from classbox.cli import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "health.md"


@pytest.fixture(scope="module")
def schema() -> dict:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## JSON schema"):]
    block = re.search(r"```json\n(.*?)```", section, re.S).group(1)
    loaded = json.loads(block)
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def test_report_without_samples_follows_the_schema(client, schema):
    jsonschema.validate(client.get("/api/health").get_json(), schema)


def test_full_report_follows_the_schema(client, schema, service, db, fake_psutil, clock, monkeypatch):
    monkeypatch.setattr("time.time", clock.wall)
    service.tick(db)
    fake_psutil.busy += 5
    clock.advance(60)
    service.tick(db)
    body = client.get("/api/health").get_json()
    assert body["sample"]["system"]["cpu_percent"] is not None
    jsonschema.validate(body, schema)


def test_report_with_failed_readers_follows_the_schema(client, schema, service, db, fake_psutil):
    fake_psutil.raise_on = {"virtual_memory": RuntimeError("x"), "disk_usage": OSError("y")}
    service.tick(db)
    jsonschema.validate(client.get("/api/health").get_json(), schema)


def test_cli_json_follows_the_schema(runner, config, schema, service, db):
    service.tick(db)
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "health", "--json"])
    jsonschema.validate(json.loads(result.output), schema)
