"""The lessons tables: prepared lessons (a teacher's own or a pack's) and their ordered steps."""

from sqlite_utils.migrations import Migrations

from classbox.storage.migrations import sql_migration

migrations = Migrations("classbox.lessons")

# Lessons owned by a teacher or shipped by a pack (read-only), and their steps in order.
sql_migration(
    migrations, "m001_lessons",
    """CREATE TABLE lessons (
        id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL,
        owner_id INTEGER, owner_login TEXT, pack_id TEXT,
        source TEXT NOT NULL DEFAULT 'json', version INTEGER NOT NULL DEFAULT 1,
        created_wall REAL, updated_wall REAL,
        CHECK ((owner_id IS NULL) <> (pack_id IS NULL))
    )""",
    """CREATE TABLE lesson_steps (
        lesson_id INTEGER NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
        position INTEGER NOT NULL, spec TEXT NOT NULL,
        PRIMARY KEY (lesson_id, position)
    )""",
    "CREATE INDEX lessons_owner ON lessons (owner_id, id)",
    "CREATE INDEX lessons_pack ON lessons (pack_id, id)",
)

# A lesson released for pupils to work through at their own pace in one session: a copy of its
# steps (answers included, never sent to pupils) and one classroom activity per step.
sql_migration(
    migrations, "m002_lesson_releases",
    """CREATE TABLE lesson_releases (
        id TEXT PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES classroom_sessions(id) ON DELETE CASCADE,
        lesson_id INTEGER NOT NULL, title TEXT NOT NULL,
        steps TEXT NOT NULL, activity_ids TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'stopped')),
        created_wall REAL, stopped_wall REAL, seq INTEGER NOT NULL
    )""",
    "CREATE INDEX lesson_releases_session ON lesson_releases (session_id, state)",
)
