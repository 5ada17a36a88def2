"""Privacy (RGPD): export and erase a pupil's data across every feature."""
