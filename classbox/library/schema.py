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


@migrations()
def m002_fts_facets(db: sqlite_utils.Database) -> None:
    """Index facets (subject, level, kind, language) as tokens so filters narrow the match, and
    keep the column weights as the table's rank."""
    from classbox.library.catalogue import facet_tokens, subject_label

    db.execute("DROP TABLE resource_fts")
    db.execute("""
        CREATE VIRTUAL TABLE resource_fts USING fts5(
            rid UNINDEXED, title, description, tags, subject, facets,
            tokenize = "unicode61 remove_diacritics 2", prefix = '2 3')""")
    db.execute("INSERT INTO resource_fts (resource_fts, rank) VALUES ('rank', 'bm25(0, 10.0, 2.0, 4.0, 1.0, 0.0)')")
    rows = db.execute("SELECT id, title, description, tags, subject, level, kind, language FROM resource").fetchall()
    for rid, title, description, tags, subject, level, kind, language in rows:
        db.execute("INSERT INTO resource_fts (rid, title, description, tags, subject, facets) VALUES (?, ?, ?, ?, ?, ?)",
                   [rid, title, description, tags, subject_label(subject), facet_tokens(subject, level, kind, language)])


@migrations()
def m003_fts_rowid_is_seq(db: sqlite_utils.Database) -> None:
    """Key each index entry by its resource's `seq` (unique, stable across VACUUM) instead of a
    stored `rid` column: a search reads rowids straight from the index instead of seeking every
    candidate's stored row (12 ms of 2,000 candidates), and removing a pack deletes its entries
    by key instead of scanning the whole index."""
    from classbox.storage.core import next_seq

    # A resource without a seq, or sharing one with an earlier row, gets a fresh one (the key is
    # unique), above every seq in use even if the sequence itself lagged behind.
    db.execute("INSERT INTO sequence (name, value) SELECT 'library', MAX(COALESCE(MAX(r.seq), 0), "
               "(SELECT COALESCE(MAX(seq), 0) FROM pack)) FROM resource r WHERE true "
               "ON CONFLICT(name) DO UPDATE SET value = MAX(value, excluded.value)")
    for (resource_id,) in db.execute(
            "SELECT id FROM resource WHERE rowid NOT IN "
            "(SELECT MIN(rowid) FROM resource WHERE seq IS NOT NULL GROUP BY seq) ORDER BY rowid").fetchall():
        db.execute("UPDATE resource SET seq = ? WHERE id = ?", [next_seq(db, "library"), resource_id])
    db.execute("CREATE UNIQUE INDEX resource_seq ON resource(seq)")
    db.execute("""
        CREATE VIRTUAL TABLE resource_fts_by_seq USING fts5(
            title, description, tags, subject, facets,
            tokenize = "unicode61 remove_diacritics 2", prefix = '2 3')""")
    db.execute("INSERT INTO resource_fts_by_seq (resource_fts_by_seq, rank) "
               "VALUES ('rank', 'bm25(10.0, 2.0, 4.0, 1.0, 0.0)')")
    db.execute("""
        INSERT INTO resource_fts_by_seq (rowid, title, description, tags, subject, facets)
        SELECT r.seq, f.title, f.description, f.tags, f.subject, f.facets
        FROM resource_fts f JOIN resource r ON r.id = f.rid ORDER BY r.seq""")
    db.execute("DROP TABLE resource_fts")
    db.execute("ALTER TABLE resource_fts_by_seq RENAME TO resource_fts")


@migrations()
def m004_h5p(db: sqlite_utils.Database) -> None:
    """H5P: libraries stored once per machine name and major.minor (the newest patch), each content's
    dependencies, and the files of both as blobs (`owner` is `library:<Name-1.0>` or `content:<pack>`)."""
    db.execute("""
        CREATE TABLE h5p_library (
            key TEXT PRIMARY KEY, machine_name TEXT NOT NULL, major INTEGER NOT NULL, minor INTEGER NOT NULL,
            patch INTEGER NOT NULL, title TEXT NOT NULL, meta TEXT NOT NULL, imported_at REAL)""")
    db.execute("""
        CREATE TABLE h5p_content (
            pack TEXT PRIMARY KEY REFERENCES pack(id) ON DELETE CASCADE, main_library TEXT NOT NULL,
            dependencies TEXT NOT NULL)""")
    db.execute("""
        CREATE TABLE h5p_file (
            owner TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
            PRIMARY KEY (owner, path))""")
    db.execute("CREATE INDEX h5p_file_sha ON h5p_file(sha256)")
