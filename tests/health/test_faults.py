"""Faults the health report must survive: a broken database, corrupted stored state, a damaged file."""

from __future__ import annotations

import sqlite3

from classbox.health.alerts import evaluate
from classbox.health.sampler import Sampler
from classbox.health.service import ALERTS_KEY, LATEST_KEY
from classbox.storage import open_database
from classbox.web.datadir import prepare_data_dir


class BrokenDb:
    """A database handle whose every query fails, as with an unreadable file."""

    def execute(self, *args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")


def test_unreachable_database_is_critical_with_503(app, client, monkeypatch):
    monkeypatch.setattr("classbox.health.views.get_db", lambda: BrokenDb())
    response = client.get("/api/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "critical" and body["db"]["ok"] is False
    assert body["alerts"][0]["id"] == "db" and "disk I/O error" in body["db"]["error"]


def test_metrics_still_answer_when_the_database_fails(app, client, monkeypatch):
    monkeypatch.setattr("classbox.health.views.get_db", lambda: BrokenDb())
    text = client.get("/metrics").get_data(as_text=True)
    assert "classbox_status_level 2.0" in text


def test_corrupted_stored_state_reads_as_no_sample(client, db):
    with db.conn:
        db.execute("INSERT INTO box_state (key, value) VALUES (?, ?)", [LATEST_KEY, "{truncated"])
        db.execute("INSERT INTO box_state (key, value) VALUES (?, ?)", [ALERTS_KEY, '["not", "a", "dict"]'])
    body = client.get("/api/health").get_json()
    assert body["sample"] is None
    assert [a["id"] for a in body["alerts"]] == ["sampler"]


def test_stored_alerts_with_unknown_levels_are_ignored(client, db):
    with db.conn:
        db.execute("INSERT INTO box_state (key, value) VALUES (?, ?)",
                   [ALERTS_KEY, '{"disk": {"id": "disk", "level": "panic", "since": 1}, "x": 3}'])
    body = client.get("/api/health").get_json()
    assert [a["id"] for a in body["alerts"]] == ["sampler"]


def test_damaged_database_file_raises_the_integrity_alert(tmp_path, config, readers):
    """A real integrity check on a database with a damaged page."""
    data_dir = config.data_dir
    db = prepare_data_dir(config)
    with db.conn:
        db.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)")
        db.execute("CREATE INDEX filler_body ON filler (body)")
        for i in range(2000):
            db.execute("INSERT INTO filler (body) VALUES (?)", [f"row {i} " * 20])
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'filler_body'").fetchone()[0]
    db.conn.close()
    path = data_dir / "classbox.db"
    raw = bytearray(path.read_bytes())
    start = (root - 1) * page
    raw[start: start + 64] = b"\xff" * 64  # scribble over the index root page's b-tree header
    path.write_bytes(bytes(raw))
    db = open_database(data_dir, durable=False)
    try:
        sample = Sampler(config, readers).sample(db)
    finally:
        db.conn.close()
    integrity = sample["app"]["db_integrity"]
    assert integrity is not None and integrity["ok"] is False and integrity["problems"]
    assert evaluate(sample, config["health"])["db_integrity"]["level"] == "critical"
