"""Several web workers: each journals its own answers; a teacher's page asks every worker to commit first.

Each worker's group writer keeps the answers it acked in its slot's journal (`classroom-<k>.journal`,
storage/journal.py) and commits them later; another worker's SQLite reads do not see them yet. The
teacher's views that read answers call `writer.settle()` (dashboard, results and CSV, charts, class
progress, lessons), which commits this worker's rows and then asks every other worker, over Redis
(runtime/worker_bus.py), to commit theirs, waiting up to SETTLE_TIMEOUT_S for their replies. While Redis
does not answer, the page reads what is committed (and the log says so) and every worker commits each
answer before its ack (`writer.lazy_while`), so what a teacher misses is at most the rows acked before
the outage, committed with the next answer of their worker.
"""

from __future__ import annotations

import logging
from typing import Any

from classbox.runtime.shared import Shared
from classbox.runtime.worker_bus import WorkerBus

log = logging.getLogger("classbox.classroom.settle")
SETTLE_TIMEOUT_S = 3.0


def settle_everywhere(bus: WorkerBus, timeout: float = SETTLE_TIMEOUT_S) -> bool:
    """Ask every web worker to commit the answers it acked; False (logged) if some did not confirm."""
    asked = bus.ask_all("settle", {}, timeout)
    if asked is None:
        log.warning("Redis does not answer: reading the answers committed so far; those other web workers "
                    "acked since their last commit are read later")
        return False
    receivers, replies = asked
    confirmed = sum(1 for reply in replies if reply.get("ok"))
    if confirmed < receivers:
        log.warning("%d of %d web workers did not confirm within %.0f s that their acked answers are committed: "
                    "reading what is committed", receivers - confirmed, receivers, timeout)
        return False
    return True


def install(bus: WorkerBus, writer: Any, shared: Shared) -> None:
    """Answer the other workers' settle requests, and ask theirs on every `writer.settle()`."""
    def settle(_payload: dict) -> dict:
        writer.settle(others=False)
        return {"ok": True}

    bus.on("settle", settle)
    writer.settle_others = lambda: settle_everywhere(bus)
    # Redis down, or this worker not (yet again) subscribed to the bus: nobody could ask it to commit
    writer.lazy_while = lambda: shared.up and bus.subscribed
