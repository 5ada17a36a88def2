"""`N_`: marks a French string for the translation catalog, importable without Flask (the agent)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a French string for the catalog without translating it (translated where shown)."""
    return message
