"""The sync loop: claim -> deliver -> mark for every target, then the inbox, within the window."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

import sqlite_utils

from classbox.config import Config
from classbox.storage import open_database
from classbox.storage.db import _inode, db_path
from classbox.storage.core import write_transaction
from classbox.sync import outbox, status
from classbox.sync.backoff import Transient, next_delay
from classbox.sync.clock import Clock
from classbox.sync.connectors import Connector
from classbox.sync.connectors.build import make_connectors
from classbox.sync.crashes import CrashWatch
from classbox.sync.kept import KeptRetries
from classbox.sync.link import Link
from classbox.sync.ratelimit import LinkClosed
from classbox.sync.retention import purge_if_due
from classbox.sync.window import SyncWindow

log = logging.getLogger("classbox.sync")


class SyncRunner:
    """One sync pass at a time; keeps its Link (and its pooled connections) between passes."""

    def __init__(self, config: Config, link: Link | None = None, now=time.time,
                 local_now=dt.datetime.now, connectors=None):
        self.config = config
        self.local_now = local_now
        self.connectors = connectors or make_connectors
        self.window = SyncWindow(config["sync"]["window"])
        self.link = link or Link(config["sync"]["timeout_s"], config["sync"]["max_kbps"])
        self.now = now
        self.last_inbox: float | None = None
        self.batch_sizes: dict[str, int] = {}  # lowered by a 413, kept from pass to pass
        self.failing: set[str] = set()  # targets whose last attempt was a retry: probe with one record
        self._noted = (0, 0)  # the link's (sent, received) already in the status
        self._held = (0, 0)  # bytes of failed retries kept in memory (sync/kept.py), noted with the next write
        self.crashes = CrashWatch(config.runtime_dir, config["sync"]["retry_base_s"])  # batches that killed the agent
        self.kept = KeptRetries()  # failed retries that changed nothing: counted in memory (SD card)

    def once(self, stop: threading.Event | None = None, db: sqlite_utils.Database | None = None
             ) -> dict[str, Any]:
        """Run one pass; returns counts {"delivered", "dead", "retry", "stopped", ...}."""
        own = db is None
        db = db or open_database(self.config.data_dir)
        try:
            return self._once(db, stop)
        finally:
            if own:
                self.write_down(db)
                db.conn.close()

    def write_down(self, db: sqlite_utils.Database) -> None:
        """Commit the attempt counts kept in memory (a clean stop, a one-off pass)."""
        if self.kept.by_target or any(self._held):
            sent, received = self._unnoted_bytes()
            with write_transaction(db):
                self.kept.write_down(db)
                status.note(db, None, sent=sent, received=received)

    def _once(self, db: sqlite_utils.Database, stop: threading.Event | None) -> dict[str, Any]:
        summary: dict[str, Any] = {"delivered": 0, "dead": 0, "retry": 0, "stopped": False,
                                   "window_open": True}
        local = self.local_now()
        if not self.window.is_open(local):
            summary["window_open"] = False
            if status.load(db).get("window_open") is not False:  # spare the SD card: write once
                status.refresh(db, window_open=False)
            return summary
        clock = Clock(db)
        clock.check_timesyncd()
        self.link.on_date = clock.observe_date
        self.link.stop_event = stop
        self.link.deadline_mono = time.monotonic() + self.window.seconds_left(local)
        self._noted = (self.link.sent, self.link.received)
        connectors = self.connectors(self.config, self.link, db, clock)
        for name, connector in connectors.items():
            connector.batch_size = min(connector.batch_size, self.batch_sizes.get(name, connector.batch_size))
        try:
            for target in outbox.pending_targets(db):
                connector = connectors.get(target)
                if connector is None:
                    continue
                if not self._drain(db, target, connector, summary, clock):
                    break
            if not summary["stopped"]:
                self._inbox(db, summary)
        finally:
            self.batch_sizes.update((name, c.batch_size) for name, c in connectors.items())
            sent, received = self._unnoted_bytes(held_alone=False)  # what no batch's commit took along
            status.record(db, None, sent=sent, received=received)
            purge_if_due(db, self.config)
            status.refresh(db, window_open=True, clock=clock, counts_alone=False)  # SD card: docs/sync.md
        return summary

    def _learn_time(self, connector: Connector) -> None:
        """One cheap request so the peer's Date header dates the records before they are built."""
        url = getattr(connector, "probe_url", None)
        if url:
            try:
                self.link.request("HEAD", url)
            except Transient:
                pass

    def _unnoted_bytes(self, held_alone: bool = True) -> tuple[int, int]:
        """Bytes on the wire since the status last noted them (and mark them noted); those held
        by kept retries too, unless `held_alone` is False and nothing else is to be noted."""
        sent, received = self.link.sent - self._noted[0], self.link.received - self._noted[1]
        self._noted = (self.link.sent, self.link.received)
        if held_alone or sent or received:
            sent, received, self._held = sent + self._held[0], received + self._held[1], (0, 0)
        return sent, received

    def _drain(self, db: sqlite_utils.Database, target: str, connector: Connector,
               summary: dict[str, Any], clock: Clock) -> bool:
        """Deliver a target's due records in order; False if the pass must stop."""
        if self.crashes.check(db, target, self.now()):
            connector.batch_size = 1  # a batch kept killing the agent: one record per request from now on
        while True:
            if self.link.should_stop():
                summary["stopped"] = True
                return False
            if self.kept.waiting(db, target, self.now()):
                return True  # the head's retry, kept in memory, is not due
            limit = 1 if target in self.failing else connector.batch_size
            records = outbox.claim(db, target, limit, self.now())
            self.kept.count(target, records)
            if not records:
                return True  # nothing due: no request at all (an unreachable ENT waits for its retry)
            if not clock.known():
                self._learn_time(connector)
            self.crashes.sending(target, [r.seq for r in records])  # tmpfs: only a killed agent leaves it
            try:
                try:
                    outcomes = connector.deliver(records)
                except LinkClosed:
                    outbox.mark_retry(db, [r.seq for r in records], "stopped at the end of the sync window",
                                      0, self.now(), count_attempt=False)
                    summary["stopped"] = True
                    return False
                if not self._apply(db, target, records, outcomes, summary):
                    return True
            finally:
                self.crashes.settled(target)

    def _apply(self, db: sqlite_utils.Database, target: str, records: list[outbox.OutboxRecord],
               outcomes: list, summary: dict[str, Any]) -> bool:
        """Mark what happened, in one commit (rows, attempts, status, bytes); False when the
        target must wait (a retry)."""
        now = self.now()
        delivered = [r.seq for r, o in zip(records, outcomes) if o.status == "delivered"]
        dead = [(r.seq, o.error) for r, o in zip(records, outcomes) if o.status == "dead"]
        rest = records[len(outcomes):]
        last = outcomes[-1] if outcomes else None
        retry = last is not None and last.status == "retry"
        sent, received = self._unnoted_bytes()
        if retry:
            delay = next_delay(records[len(outcomes) - 1].attempts, last.retry_after,
                               base=self.config["sync"]["retry_base_s"])
        if (retry and len(records) == 1 and not received  # the peer never answered
                and self.kept.keep(db, target, records[0], last.error, delay, now)):
            self._held = (sent, received)  # the request's estimated bytes: noted with the next write
            self.failing.add(target)
            summary["retry"] += 1
            log.debug("sync %s: %s again; retry in %.0f s", target, last.error, delay)
            return False  # nothing new: no commit (kept in memory, sync/kept.py)
        with write_transaction(db):
            self.kept.write_down(db, target)
            outbox.settle_delivered(db, delivered, now)
            outbox.settle_dead(db, dead)
            if retry:  # head-of-line: the records behind it wait for it, their rows are left alone
                outbox.settle_retry(db, [records[len(outcomes) - 1].seq], last.error, delay, now)
            elif rest:
                outbox.settle_retry(db, [r.seq for r in rest], "not attempted", 0, now, count_attempt=False)
            error = last.error if retry else (dead[-1][1] if dead else None)
            status.note(db, target, success=bool(delivered), error=error, sent=sent, received=received)
        summary["delivered"] += len(delivered)
        summary["dead"] += len(dead)
        if delivered:
            self.failing.discard(target)
        for message in dict.fromkeys(e for _, e in dead):  # one line per distinct error
            seqs = [seq for seq, e in dead if e == message]
            log.warning("sync %s: %d record(s) dead (seq %s%s): %s", target, len(seqs), seqs[0],
                        f"..{seqs[-1]}" if len(seqs) > 1 else "", message)
        if retry:
            self.failing.add(target)  # the next attempt claims (and rewrites) one row, not a batch
            summary["retry"] += 1
            log.info("sync %s: %s; retry in %.0f s", target, last.error, delay)
            return False
        return True

    def _inbox(self, db: sqlite_utils.Database, summary: dict[str, Any]) -> None:
        dav = self.config["sync.webdav"]
        if not (dav["url"] and dav["inbox"]):
            return
        from classbox.sync.inbox import Inbox

        mono = time.monotonic()
        if self.last_inbox is not None and mono - self.last_inbox < dav["inbox_interval_s"]:
            return  # a listing costs bytes on a metered uplink: not at every pass
        self.last_inbox = mono
        try:
            summary["inbox"] = Inbox.from_config(self.config, self.link, db).pull()
        except LinkClosed:
            summary["stopped"] = True
        except Exception as err:  # the inbox never blocks the outbox
            log.warning("inbox pull failed: %s", err)
            status.record(db, "inbox", error=str(err))


class SyncService:
    """The agent service: a sync pass every [sync] interval_s (sooner when records are due)."""

    name = "sync"

    def __init__(self, config: Config):
        self.config = config
        self.runner = SyncRunner(config)
        self._inode: int | None = None  # the database file the kept connection opened

    def run(self, stop: threading.Event) -> None:
        """Loop until the agent stops, on one connection kept from pass to pass: opening and closing
        one each pass deletes and re-creates the WAL files when nobody else holds the database
        (an ext4 journal commit each time on the SD card)."""
        db = None
        try:
            while not stop.is_set():
                try:
                    db = self._connection(db)
                    self.runner.once(stop, db=db)
                except Exception:
                    log.exception("sync pass failed")
                    if db is not None and db.conn.in_transaction:
                        db.conn.rollback()
                stop.wait(self._pause(db))
        finally:
            self.runner.link.close()
            if db is None and self.runner.kept.by_target:
                db = self._connection(None)
            if db is not None:
                try:
                    self.runner.write_down(db)
                finally:
                    db.conn.close()

    def _connection(self, db: sqlite_utils.Database | None) -> sqlite_utils.Database:
        """The kept connection, or a new one if there is none or the database file was replaced."""
        path = db_path(self.config.data_dir)
        if db is not None and _inode(path) == self._inode:
            return db
        if db is not None:
            db.conn.close()
        db = open_database(self.config.data_dir)
        self._inode = _inode(path)
        return db

    def _pause(self, db: sqlite_utils.Database | None) -> float:
        """Seconds until the next pass: the interval, or the earliest retry if sooner."""
        interval = self.config["sync"]["interval_s"]
        targets = configured_targets(self.config)
        if not targets or db is None:
            return interval
        try:  # each target's head decides (head-of-line; only its row holds the retry time)
            heads = dict(db.execute(
                f"SELECT target, next_attempt_at FROM outbox o WHERE seq = (SELECT MIN(seq) FROM outbox "
                f"WHERE state = 'pending' AND target = o.target) AND target IN ({','.join('?' * len(targets))})",
                targets).fetchall())
        except Exception:
            log.exception("sync: next retry unknown")
            return interval
        heads.update((t, at) for t, at in self.runner.kept.next_due().items() if t in heads)
        if not heads:
            return interval
        wait = min(heads.values()) - time.time()  # <= 0: due but not sent (window, stop): wait the interval
        return min(interval, max(0.5, wait)) if wait > 0 else interval


def configured_targets(config: Config) -> list[str]:
    """Targets with a configured connector."""
    return [name for name, on in (("lrs", config["sync.xapi"]["endpoint"]),
                                  ("workspace", config["sync.webdav"]["url"])) if on]
