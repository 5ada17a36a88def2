"""Sync with the ENT: the durable outbox and inbox, connectors (xAPI, WebDAV), the agent loop."""
