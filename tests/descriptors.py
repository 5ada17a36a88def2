"""The guard against leaked file descriptors: a test must close what it (and classbox) opened.

A full run used to pass 1024 open descriptors (sockets, SQLite files, journals left open by apps
nobody closed), past which select() refuses to work. Each test's new descriptors are compared
after its function-scoped fixtures are torn down; those of module and session fixtures are
opened before and closed after, so they never count. A descriptor closed by a thread or the
garbage collector a moment later is waited for (up to GRACE_S) before the test fails.
"""

from __future__ import annotations

import gc
import os
import time

GRACE_S = 2.0
FD_DIR = "/proc/self/fd"
# Opened once per process by C libraries (libzim's first ZIM writer) and kept: not a test's leak.
PROCESS_WIDE = {"/dev/urandom", "/dev/random"}


def open_descriptors() -> dict[int, str]:
    """This process's open descriptors: {fd: what it points at}."""
    found = {}
    for name in os.listdir(FD_DIR):
        try:
            found[int(name)] = os.readlink(f"{FD_DIR}/{name}")
        except OSError:  # the listing's own descriptor, or one closed meanwhile
            pass
    return found


def leaked_since(before: dict[int, str], grace_s: float = GRACE_S) -> list[str]:
    """What is open now and was not in `before` (after a garbage collection and up to grace_s)."""
    deadline = time.monotonic() + grace_s
    collected = False
    while True:
        now = open_descriptors()
        new = sorted(f"{fd} -> {target}" for fd, target in now.items()
                     if before.get(fd) != target and target not in PROCESS_WIDE)
        if not new or time.monotonic() >= deadline:
            return new
        if not collected:
            gc.collect()
            collected = True
        else:
            time.sleep(0.05)
