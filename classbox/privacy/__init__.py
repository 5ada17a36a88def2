"""Privacy (RGPD): export and erase a pupil's data across every feature (see docs/privacy.md)."""

from __future__ import annotations

from classbox.features import hook


@hook
def cli_commands() -> list:
    """`classbox privacy export|erase --pupil ID`."""
    from classbox.privacy.cli import privacy

    return [privacy]
