"""The classes tables: a teacher's classes and their members (first name or pseudonym, picture)."""

from sqlite_utils.migrations import Migrations

from classbox.storage.migrations import sql_migration

migrations = Migrations("classbox.classes")

# Classes (owner, levels, retention date) and members (stable pseudonymous id, picture, order).
sql_migration(
    migrations, "m001_classes",
    """CREATE TABLE classes (
        id INTEGER PRIMARY KEY AUTOINCREMENT, owner_id INTEGER NOT NULL, name TEXT NOT NULL,
        levels TEXT NOT NULL, retain_until TEXT NOT NULL, created_wall REAL
    )""",
    "CREATE INDEX classes_owner ON classes(owner_id)",
    """CREATE TABLE class_members (
        id TEXT PRIMARY KEY,
        class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
        name TEXT NOT NULL, picture TEXT NOT NULL, position INTEGER NOT NULL, created_wall REAL,
        UNIQUE (class_id, name)
    )""",
    "CREATE INDEX class_members_order ON class_members(class_id, position)",
)

# Tap to join: the classes whose members must tap a two-picture secret, and each member's secret
# (kept readable: the teacher sees it and tells a pupil who forgot).
sql_migration(
    migrations, "m002_join_secrets",
    "CREATE TABLE class_join_secrets (class_id INTEGER PRIMARY KEY REFERENCES classes(id) ON DELETE CASCADE)",
    """CREATE TABLE class_member_secrets (
        member_id TEXT PRIMARY KEY REFERENCES class_members(id) ON DELETE CASCADE,
        first TEXT NOT NULL, second TEXT NOT NULL
    )""",
)
