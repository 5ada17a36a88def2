"""Batches that kill the sync agent (out of memory on a large batch, a kill during a stuck request).

Before each send, the batch's seqs are noted in the runtime dir (tmpfs, no fsync: no SD card write);
the note is removed once the batch is settled, so only a killed agent leaves one. The next agent
counts that kill against the batch's head record: sent again at once after one or two kills, backed
off with the retry schedule (and one record per request) from BACKOFF_AFTER kills on the same head,
and the head goes dead (`classbox sync status`, /admin, health) at DEAD_AFTER. A power cut empties
tmpfs: that kill is not counted.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import sqlite_utils

from classbox.storage.core import write_transaction
from classbox.sync import outbox, status
from classbox.sync.backoff import next_delay

log = logging.getLogger("classbox.sync")

BACKOFF_AFTER = 3  # kills on the same head before it waits its retry (a single kill costs no delay)
DEAD_AFTER = 6  # kills on the same head before it goes dead, for an operator to look at
KILLED = "the sync agent was killed"  # how the errors it leaves begin (health tells these dead records apart)


def marker(runtime_dir: Path, target: str) -> Path:
    """Where a target's batch in flight is noted."""
    return Path(runtime_dir) / f"sync-{target}.inflight"


def _alive(pid: int) -> bool:
    """Whether another live process has this pid (a pass run by hand while the agent sends)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class CrashWatch:
    """One runner's view of the kills its targets' batches caused (in memory, and in tmpfs across restarts)."""

    def __init__(self, runtime_dir: Path, retry_base_s: float):
        self.runtime_dir = Path(runtime_dir)
        self.retry_base_s = retry_base_s
        self.kills: dict[str, tuple[int, int]] = {}  # target -> (head seq, kills while it was in flight)
        self.checked: set[str] = set()

    def sending(self, target: str, seqs: list[int]) -> None:
        """Note a batch about to be sent, with the kills its head already caused."""
        head, kills = self.kills.get(target, (None, 0))
        self._write(target, seqs, kills if head == seqs[0] else 0, sending=True)

    def settled(self, target: str) -> None:
        """The batch came back (any outcome, now settled): nothing in flight, no kill in a row."""
        self.kills.pop(target, None)
        try:
            marker(self.runtime_dir, target).unlink(missing_ok=True)
        except OSError:
            pass

    def _write(self, target: str, seqs: list[int], kills: int, sending: bool) -> None:
        """Replace the note atomically (not fsynced: tmpfs, and a power cut may lose it)."""
        note = {"seqs": seqs, "kills": kills, "sending": sending, "pid": os.getpid(), "at": time.time()}
        path = marker(self.runtime_dir, target)
        try:
            self.runtime_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(note))
            os.replace(tmp, path)
        except OSError as err:  # a full or read-only runtime dir must not stop the sync
            log.warning("sync %s: cannot note the batch in flight in %s: %s", target, self.runtime_dir, err)

    def _read(self, target: str) -> dict | None:
        """The note left for a target, or None (none, or damaged: then removed)."""
        try:
            note = json.loads(marker(self.runtime_dir, target).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            note = None
        if not (isinstance(note, dict) and isinstance(note.get("pid"), int) and isinstance(note.get("kills"), int)
                and isinstance(note.get("seqs"), list) and note["seqs"]
                and all(isinstance(s, int) for s in note["seqs"])):
            self.settled(target)
            return None
        return note

    def check(self, db: sqlite_utils.Database, target: str, now: float) -> bool:
        """At a runner's first pass on a target: count a kill left behind and act on it; True when
        the target must send one record per request (its head killed the agent several times)."""
        if target in self.checked:
            return False
        self.checked.add(target)
        note = self._read(target)
        if note is None or (note.get("sending") and _alive(note["pid"])):
            return False  # nothing left, or another pass is sending right now (not a crash)
        seqs, kills = note["seqs"], max(note["kills"], 0) + bool(note.get("sending"))
        head = seqs[0]
        row = db.execute("SELECT attempts FROM outbox WHERE seq = ? AND target = ? AND state = 'pending'",
                         [head, target]).fetchone()
        if row is None:
            self.settled(target)  # the head was settled after all
            return False
        self.kills[target] = (head, kills)
        if not note.get("sending"):
            return kills >= BACKOFF_AFTER  # the count kept while the head waits its retry
        self._write(target, seqs, kills, sending=False)  # counted once, kept across a clean restart
        span = f"seq {head}" + (f"..{seqs[-1]}" if len(seqs) > 1 else "")
        if kills < BACKOFF_AFTER:
            log.warning("sync %s: the agent was killed while sending %s (%d time(s) in a row); sending again now",
                        target, span, kills)
            return False
        with write_transaction(db):
            if kills >= DEAD_AFTER:
                message = f"{KILLED} {kills} times in a row while sending this record"
                outbox.settle_dead(db, [(head, message)])
            else:
                delay = next_delay(row[0] + 1, None, base=self.retry_base_s)
                message = (f"{KILLED} {kills} times in a row while sending {span}; "
                           f"retry in {delay:.0f} s, one record at a time")
                outbox.settle_retry(db, self._pending(db, seqs), message, delay, now)
            status.note(db, target, error=message)
        if kills >= DEAD_AFTER:
            self.settled(target)
        log.warning("sync %s: %s", target, message)
        return True

    @staticmethod
    def _pending(db: sqlite_utils.Database, seqs: list[int]) -> list[int]:
        """Which of these records are still pending."""
        return [row[0] for row in db.execute(
            f"SELECT seq FROM outbox WHERE state = 'pending' AND seq IN ({','.join('?' * len(seqs))})",
            seqs).fetchall()]
