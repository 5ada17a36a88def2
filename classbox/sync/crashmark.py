"""The sync batch in flight, noted on the runtime dir (tmpfs: no SD card write): a batch that killed
the agent (OOM, watchdog) is counted and backed off at the restart, not sent again at once forever."""

from __future__ import annotations

import json
import os
from pathlib import Path


def marker(runtime_dir: Path, target: str) -> Path:
    """Where a target's batch in flight is noted."""
    return runtime_dir / f"sync-{target}.inflight"


def note(runtime_dir: Path, target: str, seqs: list[int]) -> None:
    """Note the seqs about to be sent (replaced atomically)."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    path = marker(runtime_dir, target)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(seqs))
    os.replace(tmp, path)


def clear(runtime_dir: Path, target: str) -> None:
    """The batch came back (any outcome): nothing in flight."""
    marker(runtime_dir, target).unlink(missing_ok=True)


def left(runtime_dir: Path, target: str) -> list[int]:
    """The seqs a killed agent was sending, or [] (a damaged marker counts as none)."""
    try:
        seqs = json.loads(marker(runtime_dir, target).read_text())
    except (OSError, ValueError):
        return []
    return [s for s in seqs if isinstance(s, int)] if isinstance(seqs, list) else []
