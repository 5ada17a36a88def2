"""Classes: a teacher's class lists, members known by a first name (or pseudonym) and a picture."""

from __future__ import annotations

from classbox.classes.schema import migrations

__all__ = ["migrations"]
