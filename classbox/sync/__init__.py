"""Sync with the ENT: the durable outbox and inbox, connectors (xAPI, WebDAV), the agent loop."""

from classbox.sync.outbox import enqueue
from classbox.sync.schema import migrations

__all__ = ["enqueue", "migrations"]
