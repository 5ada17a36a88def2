"""The /admin sync panel, roster import, privacy export/erase, retention, the agent service."""

from __future__ import annotations

import html
import json
import time

import pytest

from classbox.cli import cli
from classbox.sync import agent_services
from classbox.sync.clock import Dated
from classbox.sync.outbox import mark_dead_many, mark_delivered
from classbox.sync.retention import purge
from classbox.sync.statements import StatementBuilder, StatementError
from tests.sync.conftest import enqueue_answers


def test_admin_panel_shows_depth_dead_and_replays(client, db, admin, login):
    enqueue_answers(db, 4)
    mark_delivered(db, [1])
    mark_dead_many(db, [(2, "POST statements: HTTP 400 mauvaise déclaration")])
    login(admin)
    page = html.unescape(client.get("/admin").get_data(as_text=True))
    assert "Synchronisation avec l'ENT" in page
    assert "mauvaise déclaration" in page
    assert "Renvoyer" in page
    assert "lrs" in page
    response = client.post("/admin/sync/retry-dead", data={"seq": "2"})
    assert response.status_code == 302
    assert db.execute("SELECT state FROM outbox WHERE seq = 2").fetchone()[0] == "pending"


def test_retry_endpoint_needs_an_admin(client, db, teacher, login):
    login(teacher)
    assert client.post("/admin/sync/retry-dead").status_code == 403


def test_sync_status_is_in_box_state_for_the_health_feature(runner, config, db):
    enqueue_answers(db, 3)
    mark_dead_many(db, [(3, "HTTP 400")])
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "sync", "status"])
    assert result.exit_code == 0 and "pending 2  dead 1" in result.output
    stored = json.loads(db.execute("SELECT value FROM box_state WHERE key = 'sync.status'").fetchone()[0])
    assert stored["pending"] == 2 and stored["dead"] == 1
    assert stored["targets"]["lrs"]["oldest_pending_age_s"] >= 0
    assert {"last_success", "last_error", "bytes_sent_today"} <= set(stored)


@pytest.mark.parametrize("text,error", [
    ("", "empty"),
    ("nom,classe\nLéa,CM2\n", "ent_login"),
    ("pseudonym,ent_login\nLéa,\n", "empty"),
    ("pseudonym,ent_login\nLéa,a\nléa,b\n", "twice"),
    ("pseudonym,ent_login\n" + "x" * 300 + ",a\n", "too long"),
])
def test_bad_roster_files_are_refused_whole(runner, config, db, tmp_path, text, error):
    path = tmp_path / "roster.csv"
    path.write_text("pseudonym,ent_login\nTom,tom.b\n", encoding="utf-8")
    assert runner.invoke(cli, ["--data-dir", str(config.data_dir), "roster", "import", str(path)]).exit_code == 0
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "roster", "import", str(path)])
    assert result.exit_code == 2 and error in result.output
    assert db.execute("SELECT pseudonym, ent_login FROM sync_roster").fetchall() == [("Tom", "tom.b")]


def test_roster_file_that_is_not_utf8_is_refused(runner, config, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(b"pseudonym,ent_login\n\xff\xfe,x\n")
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "roster", "import", str(path)])
    assert result.exit_code == 2 and "cannot read" in result.output


def test_privacy_export_and_erase_cover_the_outbox_and_roster(runner, config, db, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("pseudonym,ent_login\nLéa,lea.m\nTom,tom.b\n", encoding="utf-8")
    runner.invoke(cli, ["--data-dir", str(config.data_dir), "roster", "import", str(path)])
    enqueue_answers(db, 60)  # pupils p-0 … p-29, two records each, all named Léa
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "privacy", "export", "--pupil", "p-3"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)["features"]["sync"]
    assert [r["payload"]["pupil"]["id"] for r in exported["outbox"]] == ["p-3", "p-3"]
    assert exported["roster"] == [{"pseudonym": "Léa", "ent_login": "lea.m", "class_name": ""}]
    result = runner.invoke(cli, ["--data-dir", str(config.data_dir), "privacy", "erase", "--pupil", "p-3", "--yes"])
    assert result.exit_code == 0 and "sync 3" in result.output
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE pupil_id = 'p-3'").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 58
    assert db.execute("SELECT pseudonym FROM sync_roster").fetchall() == [("Tom",)]


def test_retention_purges_only_old_delivered_records(db):
    enqueue_answers(db, 3)
    now = time.time()
    mark_delivered(db, [1], now=now - 31 * 86400)
    mark_delivered(db, [2], now=now - 29 * 86400)
    assert purge(db, 30, now) == 1
    assert [r[0] for r in db.execute("SELECT seq FROM outbox ORDER BY seq").fetchall()] == [2, 3]


def test_agent_runs_the_sync_service_unless_disabled(config):
    assert [s.name for s in agent_services(config)] == ["sync"]
    config["sync"]["enabled"] = False
    assert agent_services(config) == []


@pytest.mark.parametrize("payload", [
    {"event": "danced"},
    {"event": "answered", "pupil": {}, "activity": {"id": "a"}, "session": {"id": "s"}},
    {"event": "answered", "pupil": {"id": "p"}, "activity": {}, "session": {}},
    {"event": "answered", "pupil": {"id": "p"}, "activity": {"id": "a"}, "session": "x"},
    {"event": "answered", "pupil": {"id": "p"}, "activity": {"id": "a"}, "session": {"id": "s"},
     "result": {"score": {"raw": 5, "max": 1}}},
])
def test_payloads_that_cannot_be_statements_are_refused(payload):
    builder = StatementBuilder("http://cb-1.classbox.invalid", "cb-1")
    with pytest.raises(StatementError):
        builder.build(payload, "3fa85f64-5717-4562-b3fc-2c963f66afa6", 1, Dated(0.0, True))
