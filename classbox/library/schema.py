"""Library tables: packs, resources, their French full-text index, ZIM books."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("classbox.library")


@migrations()
def m001_catalogue(db: sqlite_utils.Database) -> None:
    """Packs, resources and the FTS5 index (accents folded, prefixes indexed)."""
    db.execute("""
        CREATE TABLE pack (
            id TEXT PRIMARY KEY, version TEXT NOT NULL, title TEXT NOT NULL, language TEXT,
            publisher TEXT, license TEXT, source TEXT, kind TEXT NOT NULL DEFAULT 'pack',
            manifest TEXT, imported_at REAL, seq INTEGER)""")
    db.execute("""
        CREATE TABLE resource (
            id TEXT PRIMARY KEY, pack TEXT NOT NULL REFERENCES pack(id) ON DELETE CASCADE,
            path TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL, mime TEXT NOT NULL, subject TEXT NOT NULL DEFAULT '',
            level TEXT NOT NULL DEFAULT '', language TEXT NOT NULL DEFAULT 'fr',
            license TEXT NOT NULL DEFAULT '', attribution TEXT NOT NULL DEFAULT '',
            size INTEGER NOT NULL DEFAULT 0, sha256 TEXT, tags TEXT NOT NULL DEFAULT '',
            added_at REAL, seq INTEGER, UNIQUE (pack, path))""")
    db.execute("CREATE INDEX resource_sha ON resource(sha256)")
    db.execute("CREATE INDEX resource_title ON resource(title COLLATE NOCASE)")
    db.execute("CREATE INDEX resource_subject_level ON resource(subject, level)")
    db.execute("""
        CREATE VIRTUAL TABLE resource_fts USING fts5(
            rid UNINDEXED, title, description, tags, subject,
            tokenize = "unicode61 remove_diacritics 2", prefix = '2 3')""")
    db.execute("""
        CREATE TABLE zim_book (
            name TEXT PRIMARY KEY, pack TEXT NOT NULL REFERENCES pack(id) ON DELETE CASCADE,
            file TEXT NOT NULL, title TEXT NOT NULL, uuid TEXT NOT NULL, main_path TEXT,
            article_count INTEGER, has_fulltext INTEGER NOT NULL DEFAULT 0, size INTEGER)""")
