"""Two processes starting on a new data dir at once (web and agent at first boot) both migrate it."""

from __future__ import annotations

import threading
import time

from sqlite_utils.migrations import Migrations

from classbox.storage import open_database
from classbox.storage.migrations import migrate


def slow_set() -> Migrations:
    """A set whose first migration holds its transaction open a moment, as a big one would."""
    migrations = Migrations("classbox.test_together")

    @migrations()
    def m001_table(db):
        db.execute("CREATE TABLE together (id INTEGER PRIMARY KEY)")
        time.sleep(0.5)

    @migrations()
    def m002_index(db):
        db.execute("CREATE INDEX together_id ON together (id)")

    return migrations


def test_two_processes_migrating_a_new_database_at_once_both_start(tmp_path):
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    applied: list[list[str]] = []

    def box_process() -> None:
        db = open_database(tmp_path)
        try:
            start.wait()
            applied.append(migrate(db, [slow_set()]))
        except BaseException as err:  # noqa: BLE001  (reported below)
            errors.append(err)
        finally:
            db.conn.close()

    threads = [threading.Thread(target=box_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(applied, key=len) == [[], ["classbox.test_together:m001_table", "classbox.test_together:m002_index"]]
    db = open_database(tmp_path)
    try:
        assert db["together"].exists() and [i.name for i in db["together"].indexes] == ["together_id"]
    finally:
        db.conn.close()
