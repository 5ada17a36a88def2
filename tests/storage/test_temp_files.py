"""Sparing the SD card: SQLite's temporary files (a statement's undo journal inside a longer
transaction, sorts) stay in RAM instead of /var/tmp, which is on the same card as the data dir."""

from __future__ import annotations

import os

from classbox.storage import open_database
from classbox.storage.db import db_path, connect
from tests.sync.conftest import enqueue_answers, synced_config


def _open_temp_files() -> list[str]:
    """SQLite's temporary files this process holds open (unlinked at once, named etilqs_*)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if "etilqs_" in link:
            found.append(link)
    return found


def test_a_many_row_update_inside_a_transaction_writes_no_temp_file(tmp_path):
    """The sync agent marking a batch of 300 records after another write of the same commit: the
    statement's undo journal (≈ 100 KB here) is kept in memory, not spilled to /var/tmp."""
    config = synced_config(tmp_path)
    for durable in (True, False):
        db = open_database(config.data_dir) if durable else connect(db_path(config.data_dir), durable=False)
        enqueue_answers(db, 300)
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            db.conn.execute("INSERT INTO box_state (key, value) VALUES ('k', '1') "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            db.conn.execute("UPDATE outbox SET next_attempt_at = 60, last_error = 'HTTP 503 Service Unavailable'")
            assert _open_temp_files() == []
        finally:
            db.conn.execute("ROLLBACK")
            db.conn.close()
