"""Storage: WAL and durable pragmas, migrations fresh and upgraded, newer databases refused."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlite_utils.migrations import Migrations

from classbox.features import migration_sets
from classbox.storage import SchemaError, connect, get_db, migrate, open_database
from classbox.storage.db import db_path
from classbox.storage.maintenance import backup, integrity_check
from classbox.web.datadir import prepare_data_dir


def test_fresh_database_has_every_feature_table(config):
    with prepare_data_dir(config) as db:
        names = set(db.table_names())
        assert {"box_state", "sequence", "users", "outbox", "_sqlite_migrations"} <= names
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_non_durable_connection_is_normal(config):
    prepare_data_dir(config).conn.close()
    with connect(db_path(config.data_dir), durable=False) as db:
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_migrate_twice_applies_nothing_the_second_time(config):
    with prepare_data_dir(config) as db:
        assert migrate(db, migration_sets()) == []


def test_upgrade_from_an_older_database_keeps_data(config):
    """A database made by a version with fewer migrations is upgraded in place, data kept."""
    sets = migration_sets()
    old = [s for s in sets if s.name in ("classbox.core", "classbox.auth")]
    config.data_dir.mkdir(parents=True)
    with open_database(config.data_dir) as db:
        migrate(db, old)
        db["users"].insert({"login": "ancien", "role": "teacher", "password_hash": "x", "disabled": 0})
        db.conn.commit()
        assert "outbox" not in db.table_names()

        applied = migrate(db, sets)
        assert "classbox.sync:m001_outbox" in applied
        assert "outbox" in db.table_names()
        assert db.execute("SELECT login FROM users").fetchall() == [("ancien",)]


def test_failed_migration_rolls_back(config):
    broken = Migrations("classbox.broken")

    @broken()
    def m001_half(db):
        db["half_done"].create({"id": int}, pk="id")
        raise RuntimeError("disk full halfway")

    sets = migration_sets() + [broken]
    config.data_dir.mkdir(parents=True)
    with open_database(config.data_dir) as db:
        with pytest.raises(RuntimeError):
            migrate(db, sets)
        assert "half_done" not in db.table_names()


def test_database_from_a_newer_version_is_refused(config):
    with prepare_data_dir(config) as db:
        db["_sqlite_migrations"].insert({"migration_set": "classbox.library", "name": "m999_future",
                                         "applied_at": "2030-01-01"})
        db.conn.commit()
        with pytest.raises(SchemaError, match="newer classbox"):
            migrate(db, migration_sets())


def test_newer_database_makes_the_cli_exit_2(config, runner):
    import subprocess
    import sys

    with prepare_data_dir(config) as db:
        db["_sqlite_migrations"].insert({"migration_set": "classbox.core", "name": "m999_future",
                                         "applied_at": "2030-01-01"})
        db.conn.commit()
    done = subprocess.run([sys.executable, "-m", "classbox", "--config", "/dev/null", "--data-dir",
                           str(config.data_dir), "init"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "newer classbox" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_integrity_check_reports_damage(config):
    prepare_data_dir(config).conn.close()
    assert integrity_check(config.data_dir) == []
    path = db_path(config.data_dir)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    data = bytearray(path.read_bytes())
    data[0:16] = b"not a database!!"
    path.write_bytes(bytes(data))
    assert integrity_check(config.data_dir)


def test_backup_is_consistent_while_writes_go_on(config, tmp_path):
    db = prepare_data_dir(config)
    db.execute("CREATE TABLE counter (n INTEGER)")
    db.conn.commit()
    stop = threading.Event()

    def writer():
        conn = connect(db_path(config.data_dir))
        n = 0
        while not stop.is_set():
            n += 1
            with conn.conn:
                conn.conn.execute("INSERT INTO counter VALUES (?)", [n])
            stop.wait(0.001)  # a busy classroom, not a tight loop that starves every other writer
        conn.conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        dest = tmp_path / "backup.db"
        size = backup(config.data_dir, dest)
    finally:
        stop.set()
        thread.join()
        db.conn.close()
    assert size == dest.stat().st_size > 0
    copy = sqlite3.connect(dest)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = [r[0] for r in copy.execute("SELECT n FROM counter ORDER BY n")]
    assert rows == list(range(1, len(rows) + 1)), "a backup holds a prefix of committed writes"
    copy.close()


def test_request_connections_are_reused_but_never_with_a_transaction_left_open(app):
    with app.app_context():
        first = get_db()
        first.execute("CREATE TABLE IF NOT EXISTS scratch (v)")
        first.conn.execute("BEGIN")
        first.conn.execute("INSERT INTO scratch VALUES (1)")  # a request that failed mid-transaction
    with app.app_context():
        again = get_db()
        assert again is first and not again.conn.in_transaction
        assert again.execute("SELECT count(*) FROM scratch").fetchone()[0] == 0


def test_a_replaced_database_file_is_not_read_through_an_old_connection(app):
    path = app.config["CLASSBOX"].data_dir / "classbox.db"
    with app.app_context():
        old = get_db()
    path.rename(path.with_suffix(".old"))
    with app.app_context():
        fresh = get_db()
        assert fresh is not old
        assert fresh.table_names() == []  # the new, empty file, not the renamed one
