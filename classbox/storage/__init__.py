"""Storage: the SQLite database in the data dir, its connections and its migrations."""

from classbox.storage.db import connect, db_path, get_db, open_database
from classbox.storage.migrations import SchemaError, migrate

__all__ = ["connect", "db_path", "get_db", "open_database", "migrate", "SchemaError"]
