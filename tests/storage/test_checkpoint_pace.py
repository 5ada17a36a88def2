"""How often the classroom's WAL is copied into classbox.db: each checkpoint writes the class's hot
pages into the database file again and forces an ext4 commit (the file's sync), so during a class
it runs once an hour, or sooner when the WAL passes its size (docs/performance.md, issue 23)."""

from __future__ import annotations

from classbox.storage import open_database
from classbox.storage.checkpoint import WAL_LIMIT_BYTES, Checkpointer
from classbox.storage.db import db_path


def _checkpointer(data_dir, now):
    """A checkpointer that runs at once, in the caller's thread, on the clock `now` (a one-item list)."""
    return Checkpointer(data_dir, lambda fn: fn(), lambda fn: fn(), clock=lambda: now[0])


def _writer(data_dir):
    db = open_database(data_dir, durable=True)
    db.conn.execute("PRAGMA wal_autocheckpoint = 10000")  # as the classroom writer: it never checkpoints itself
    db.conn.execute("CREATE TABLE IF NOT EXISTS answers (id INTEGER PRIMARY KEY, body BLOB)")
    db.conn.commit()
    return db


def test_a_class_committing_every_minute_for_an_hour_checkpoints_once(tmp_path):
    now, db = [1000.0], _writer(tmp_path)
    checkpointer = _checkpointer(tmp_path, now)
    for minute in range(60):  # a class of one hour: a commit a minute (joins, settles, a teacher's page)
        db.conn.execute("INSERT INTO answers (body) VALUES (?)", [b"x" * 300])
        db.conn.commit()
        checkpointer.poke()
        now[0] += 60
    assert checkpointer.runs == 1, "the hot pages reach classbox.db once in the hour, not every 5 minutes"
    db.conn.execute("INSERT INTO answers (body) VALUES (?)", [b"y"])
    db.conn.commit()
    checkpointer.poke()  # the hour has passed: the WAL is copied again
    assert checkpointer.runs == 2
    checkpointer.close()
    db.conn.close()


def test_a_wal_passing_its_size_is_checkpointed_within_the_hour_and_stays_bounded(tmp_path):
    now, db = [1000.0], _writer(tmp_path)
    checkpointer = _checkpointer(tmp_path, now)
    chunk = b"z" * (WAL_LIMIT_BYTES // 4)
    for _ in range(16):  # four times the limit, all within a minute (a big import, a busy hour)
        db.conn.execute("INSERT INTO answers (body) VALUES (?)", [chunk])
        db.conn.commit()
        checkpointer.poke()
        now[0] += 1
    assert checkpointer.runs >= 3, "each time the WAL passes its size, it is copied into classbox.db"
    wal = db_path(tmp_path).with_name(db_path(tmp_path).name + "-wal")
    assert wal.stat().st_size <= 2 * WAL_LIMIT_BYTES, wal.stat().st_size
    rows = db.execute("SELECT count(*) FROM answers").fetchone()[0]
    assert rows == 16
    checkpointer.close()
    db.conn.close()
