"""The classroom tables: class sessions, pupils (pseudonyms only), activities, submissions."""

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("classbox.classroom")


@migrations()
def m001_classroom(db: sqlite_utils.Database) -> None:
    """Sessions, pupils, activities and submissions (ordered by seq, never by wall time)."""
    db.execute(
        """CREATE TABLE classroom_sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            code TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            teacher_id INTEGER NOT NULL,
            teacher_login TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
            current_activity_id TEXT,
            created_wall REAL,
            closed_wall REAL,
            seq INTEGER NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE classroom_pupils (
            id TEXT PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES classroom_sessions(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            nonce TEXT NOT NULL,
            removed INTEGER NOT NULL DEFAULT 0,
            joined_wall REAL,
            seq INTEGER NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE classroom_activities (
            id TEXT PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES classroom_sessions(id) ON DELETE CASCADE,
            type TEXT NOT NULL,
            spec TEXT NOT NULL,
            targets TEXT,
            created_wall REAL,
            seq INTEGER NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE classroom_submissions (
            id TEXT PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES classroom_sessions(id) ON DELETE CASCADE,
            activity_id TEXT NOT NULL REFERENCES classroom_activities(id) ON DELETE CASCADE,
            pupil_id TEXT NOT NULL REFERENCES classroom_pupils(id) ON DELETE CASCADE,
            answer TEXT NOT NULL,
            correct INTEGER,
            file_path TEXT,
            file_mime TEXT,
            file_size INTEGER,
            file_sha256 TEXT,
            created_wall REAL,
            seq INTEGER NOT NULL
        )"""
    )
    db.execute("CREATE INDEX classroom_sessions_teacher ON classroom_sessions (teacher_id, state)")
    db.execute("CREATE INDEX classroom_pupils_session ON classroom_pupils (session_id)")
    db.execute("CREATE INDEX classroom_activities_session ON classroom_activities (session_id, seq)")
    db.execute("CREATE INDEX classroom_submissions_activity ON classroom_submissions (activity_id, pupil_id, seq)")
    db.execute("CREATE INDEX classroom_submissions_pupil ON classroom_submissions (pupil_id)")


@migrations()
def m002_joining_switch(db: sqlite_utils.Database) -> None:
    """The teacher's "close joining" switch: 0 refuses new names (pupils with a device token come back)."""
    db.execute("ALTER TABLE classroom_sessions ADD COLUMN joining INTEGER NOT NULL DEFAULT 1")


@migrations()
def m003_class_sessions(db: sqlite_utils.Database) -> None:
    """A session opened for a class (class_id), and the class member each pupil is (member_id); both nullable.

    No foreign key: a class or a member may be deleted (RGPD) while its sessions' results stay.
    """
    db.execute("ALTER TABLE classroom_sessions ADD COLUMN class_id INTEGER")
    db.execute("ALTER TABLE classroom_pupils ADD COLUMN member_id TEXT")
    db.execute("CREATE INDEX classroom_sessions_class ON classroom_sessions (class_id, seq)")
    db.execute("CREATE INDEX classroom_pupils_member ON classroom_pupils (member_id, session_id)")
