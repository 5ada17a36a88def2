"""The fleet's Prometheus rules are valid, pass their unit tests and name series the box exposes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from classbox.sync.outbox import enqueue

from tests.certificates import make_authority, make_leaf, pem
from tests.helpers import require_apt

DOCS = Path(__file__).resolve().parents[2] / "docs"
RULES = DOCS / "health-fleet-rules.yml"


@pytest.mark.peer
@pytest.mark.parametrize("args", [["check", "rules", "health-fleet-rules.yml"],
                                  ["test", "rules", "health-fleet-rules.test.yml"]])
def test_promtool_accepts_the_rules(args):
    promtool = require_apt("promtool", "prometheus")
    result = subprocess.run([promtool, *args], cwd=DOCS, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rules_use_series_the_box_exposes(client, service, db, config, tmp_path):
    leaf, _ = make_leaf(make_authority("Test CA"), ["ecole.ecoles.example.fr"])
    (tmp_path / "fullchain.pem").write_bytes(pem(leaf))
    config["web"]["tls_certificate"] = str(tmp_path / "fullchain.pem")  # a box with HTTPS
    with db.conn:
        enqueue(db, "xapi", "lrs", {"n": 1}, "key-1")
    service.tick(db)
    exposed = set()
    for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True)):
        exposed.update(sample.name for sample in family.samples)
    used = set(re.findall(r"\bclassbox_[a-z_]+", RULES.read_text()))
    assert used and used <= exposed, used - exposed
