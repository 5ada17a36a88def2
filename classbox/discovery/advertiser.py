"""The advertiser: announces the box over mDNS and follows its addresses as they change."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable

from classbox.config import ConfigError
from classbox.discovery.service import SERVICE_TYPES, Responder, ServiceSpec
from classbox.storage import open_database
from classbox.storage.core import set_state

STATE_KEY = "discovery"
POLL_S = 2.0  # an address change is seen within this, announced within about 1 s more
RETRY_S = 15.0  # after a failure to open sockets or register

log = logging.getLogger("classbox.discovery")

Recorder = Callable[[dict[str, Any]], None]


def dns_label(text: str, fallback: str = "classbox") -> str:
    """A valid host label (RFC 1123): lowercase letters, digits and hyphens, ≤ 63 characters."""
    label = re.sub(r"[^a-z0-9-]+", "-", text.split(".", 1)[0].lower()).strip("-")[:63].strip("-")
    return label or fallback


def instance_name(box_name: str) -> str:
    """"Classbox <box name>", printable, cut to leave room for a conflict suffix in 63 bytes."""
    name = " ".join("".join(ch if ch.isprintable() else " " for ch in box_name).split()) or "Classbox"
    full = name if name.lower().startswith("classbox") else f"Classbox {name}"
    data = full.encode("utf-8")[:58]
    return data.decode("utf-8", errors="ignore").rstrip()


def advertised_port(config: Any) -> int:
    """[discovery] port if set; 80 when nginx fronts the box; else [web] port."""
    if config["discovery"]["port"]:
        port, key = int(config["discovery"]["port"]), "[discovery] port"
    elif config["web"]["behind_nginx"]:
        port, key = 80, "[web] behind_nginx"
    else:
        port, key = int(config["web"]["port"]), "[web] port"
    if not 0 < port < 65536:
        raise ConfigError(f"{key}: {port} is not a TCP port (1-65535)")
    return port


def host_label(config: Any) -> str:
    """The mDNS host label: [discovery] hostname, else this machine's host name."""
    return dns_label(config["discovery"]["hostname"] or socket.gethostname())


def service_spec(config: Any, box_id: str, version: str) -> ServiceSpec:
    """The service record set the box announces, from its config."""
    txt = {"path": "/", "id": box_id, "v": version, "uai": config["box"]["school_uai"]}
    if config["web"]["https_url"]:
        txt["url"] = config["web"]["https_url"]  # what to open: HTTPS under a certificate every device trusts
    return ServiceSpec(instance_name(config["box"]["name"]), f"{host_label(config)}.local.",
                       advertised_port(config), txt)


def state_recorder(data_dir: Path) -> Recorder:
    """A recorder that stores the advertiser's state in box_state under "discovery"."""
    def record(value: dict[str, Any]) -> None:
        db = open_database(data_dir, durable=False)
        try:
            with db.conn:
                set_state(db, STATE_KEY, value)
        finally:
            db.conn.close()
    return record


class Advertiser:
    """Agent service: announce on every address, re-announce on change, goodbye on stop."""

    name = "discovery"

    def __init__(self, spec: ServiceSpec, responder_factory: Callable[[], Responder],
                 addresses: Callable[[], list[str]], record: Recorder,
                 poll_s: float = POLL_S, retry_s: float = RETRY_S,
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic):
        self.spec = spec
        self._factory = responder_factory
        self._addresses = addresses
        self._record = record
        self.poll_s = poll_s
        self.retry_s = retry_s
        self._clock = clock
        self._monotonic = monotonic
        self._responder: Responder | None = None
        self._current: list[str] = []
        self._instance = spec.instance
        self._since: float | None = None
        self._retry_at = 0.0
        self._error: str | None = None

    def run(self, stop: threading.Event) -> None:
        """Follow the box's addresses until `stop`, then send goodbyes."""
        self._write()
        try:
            while not stop.is_set():
                self.step()
                stop.wait(self.poll_s)
        finally:
            self.shutdown()

    def step(self) -> None:
        """Look at the addresses once; (re)announce if they changed."""
        try:
            addresses = self._addresses()
        except Exception as err:  # an enumerator failure must not kill the advertiser
            log.warning("cannot list network addresses: %s", err)
            return
        if addresses == self._current and self._responder is not None:
            if self._responder.conflicted():
                self._rename()
                return
            self._defend()
        if addresses == self._current and (self._responder is not None or not addresses):
            return
        if self._monotonic() < self._retry_at:
            return
        try:
            self._apply(addresses)
            self._error = None
        except Exception as err:
            log.warning("mDNS announce on %s failed (retry in %.0f s): %s", addresses, self.retry_s, err)
            self._error = str(err)[:300]
            self._drop()
            self._retry_at = self._monotonic() + self.retry_s
        self._write()

    def _defend(self) -> None:
        assert self._responder is not None
        try:
            if self._responder.defend():
                log.warning("mDNS name conflict: another box claimed %r; re-announced it", self._instance)
        except Exception as err:
            log.warning("re-announcing after an mDNS name conflict failed: %s", err)

    def _rename(self) -> None:
        assert self._responder is not None
        old = self._instance
        try:
            self._instance = self._responder.rename()
            log.warning("mDNS name conflict: %r is announced by another box, now announced as %r",
                        old, self._instance)
        except Exception as err:
            log.warning("renaming after an mDNS name conflict failed: %s", err)
            self._drop()
        self._write()

    def _apply(self, addresses: list[str]) -> None:
        removed = [a for a in self._current if a not in addresses]
        if not addresses:
            log.info("no network address left: mDNS announcements stopped")
            self._drop()
        elif self._responder is None:
            responder = self._factory()
            self._responder = responder
            responder.start(addresses)
            self._instance = responder.register(self.spec, addresses)
            if self._instance != self.spec.instance:
                log.warning("mDNS name conflict: %r is taken on this network, announced as %r",
                            self.spec.instance, self._instance)
            self._since = self._clock()
            log.info("announcing %r (%s) on %s port %d", self._instance, self.spec.host,
                     ", ".join(addresses), self.spec.port)
        else:
            self._responder.update(addresses, removed)
            log.info("addresses changed: now announcing on %s (withdrawn: %s)",
                     ", ".join(addresses), ", ".join(removed) or "none")
        self._current = list(addresses)

    def _drop(self) -> None:
        responder, self._responder = self._responder, None
        self._current = []
        self._since = None
        if responder is not None:
            try:
                responder.close()
            except Exception as err:
                log.warning("closing the mDNS responder failed: %s", err)

    def shutdown(self) -> None:
        """Send goodbyes and record that the box no longer announces."""
        if self._responder is not None:
            log.info("sending mDNS goodbyes for %r", self._instance)
        self._drop()
        self._write()

    def state(self) -> dict[str, Any]:
        """What health shows: announcing or not, on which addresses, since when."""
        return {
            "mode": "zeroconf", "announcing": self._responder is not None,
            "addresses": list(self._current), "since": self._since,
            "instance": self._instance, "host": self.spec.host, "port": self.spec.port,
            "types": list(SERVICE_TYPES), "error": self._error, "updated_at": self._clock(),
        }

    def _write(self) -> None:
        try:
            self._record(self.state())
        except Exception as err:
            log.warning("cannot record discovery state: %s", err)
