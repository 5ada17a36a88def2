"""Writing the rows of answer-journal records into SQLite (storage/journal.py): at a commit, after a cut."""

from __future__ import annotations

import logging

import sqlite_utils

log = logging.getLogger("classbox.storage.journal")
TABLES = ("classroom_pupils", "classroom_submissions", "classroom_activities", "classroom_sessions",
          "outbox")  # what a record may write

Rows = list[tuple[str, tuple[str, ...], list[tuple]]]


def apply(db: sqlite_utils.Database, records: list[Rows], skip: tuple[str, ...] = ()) -> int:
    """Insert the rows of journal records (already there: skipped); the number of rows that failed.

    A row SQLite refuses (its pupil erased meanwhile) is logged and skipped, never the others.
    """
    failed, top = 0, 0
    for record in records:
        for table, columns, rows, *key in record:
            if table in skip:
                continue
            if table not in TABLES or not all(isinstance(c, str) and c.isidentifier() for c in [*columns, *key]):
                log.error("journal record for %r ignored", table)
                continue
            if key:  # an update of these columns, by key
                sql = f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE {key[0]} = ?"
            else:
                sql = (f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
                       f"VALUES ({', '.join('?' * len(columns))})")
            try:
                db.conn.executemany(sql, rows)
            except Exception:
                failed += _one_by_one(db, sql, rows)
            if "seq" in columns and table != "outbox" and not key:
                top = max([top, *(row[list(columns).index("seq")] for row in rows)])
    if top:
        db.execute("INSERT INTO sequence (name, value) VALUES ('records', ?) "
                   "ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)", [top])
    return failed


def _one_by_one(db: sqlite_utils.Database, sql: str, rows: list) -> int:
    failed = 0
    for row in rows:
        try:
            db.conn.execute(sql, row)
        except Exception:
            log.exception("journal row refused by SQLite, skipped: %.200r", row)
            failed += 1
    return failed
