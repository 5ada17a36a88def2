"""Every SQLite connection classbox opens is closed by classbox, also when opening fails half-way
or when an app goes away: none is left to the garbage collector (Python 3.13, Debian 13's,
warns about each one: ResourceWarning "unclosed database")."""

from __future__ import annotations

import gc
import sqlite3

import pytest

from classbox import create_app
from classbox.cli import cli
from classbox.storage import connect, get_db
from classbox.storage.db import db_path
from classbox.storage.volatile import FILENAME, open_volatile, reading_volatile
from classbox.web.datadir import prepare_data_dir


@pytest.fixture
def opened(monkeypatch) -> list[sqlite3.Connection]:
    """The connections sqlite3.connect makes during the test."""
    made: list[sqlite3.Connection] = []
    real = sqlite3.connect

    def recording(*args, **kwargs):
        conn = real(*args, **kwargs)
        made.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", recording)
    return made


def is_closed(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return True
    return False


def test_a_file_that_is_not_a_database_leaves_no_connection_open(tmp_path, opened):
    path = tmp_path / "classbox.db"
    path.write_bytes(b"not a database, a file damaged by a power cut " * 100)
    with pytest.raises(sqlite3.DatabaseError):
        connect(path)
    assert opened and all(is_closed(conn) for conn in opened)


def test_a_volatile_file_without_its_tables_leaves_no_connection_open(config, opened):
    config.runtime_dir.mkdir(parents=True)
    sqlite3.connect(config.runtime_dir / FILENAME).close()  # made by something else, empty
    opened.clear()
    with reading_volatile(config) as vol:
        assert vol is None
    assert opened and all(is_closed(conn) for conn in opened)


def test_a_volatile_file_that_cannot_be_written_leaves_no_connection_open(config, opened):
    config.runtime_dir.mkdir(parents=True)
    (config.runtime_dir / FILENAME).write_bytes(b"garbage, not SQLite " * 100)
    with pytest.raises(sqlite3.DatabaseError):
        open_volatile(config)
    assert opened and all(is_closed(conn) for conn in opened)


def test_a_database_that_cannot_be_migrated_leaves_no_connection_open(config, opened):
    config.data_dir.mkdir(parents=True)
    conn = sqlite3.connect(db_path(config.data_dir))
    with conn:  # a newer classbox's migration: this version refuses the database
        conn.execute("CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT)")
        conn.execute("INSERT INTO _sqlite_migrations VALUES ('classbox.core', 'm999_future', '')")
    conn.close()
    opened.clear()
    with pytest.raises(Exception, match="newer classbox"):
        prepare_data_dir(config)
    assert opened and all(is_closed(conn) for conn in opened)


def test_an_app_that_goes_away_closes_its_pooled_connections(config, opened):
    app = create_app(config)
    for _ in range(2):
        with app.app_context():
            get_db().execute("SELECT 1")
    pooled = [conn for conn in opened if not is_closed(conn)]
    assert pooled, "the request's connection should be kept for the next request"
    del app
    create_app(config)  # the Socket.IO extension lets go of the first app for this one
    gc.collect()
    assert all(is_closed(conn) for conn in pooled)


def test_a_cli_command_closes_the_database_it_opened(tmp_path, runner, opened):
    password = tmp_path / "password"
    password.write_text("correct-horse-battery-1\n")
    for args in (["user", "add", "--role", "teacher", "--password-file", str(password), "mme.martin"],
                 ["user", "list"]):
        result = runner.invoke(cli, ["--config", "/dev/null", "--data-dir", str(tmp_path / "data"), *args])
        assert result.exit_code == 0, result.output
    assert opened and all(is_closed(conn) for conn in opened)
