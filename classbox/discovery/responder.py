"""The mDNS responder behind the advertiser: python-zeroconf, wrapped in four verbs."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
from typing import Callable

from zeroconf import (DNSAddress, DNSOutgoing, DNSService, IPVersion, RecordUpdate, RecordUpdateListener,
                      ServiceInfo, Zeroconf)

from classbox.discovery.service import CLASSBOX_TYPE, HTTP_TYPE, SERVICE_TYPES, Responder, ServiceSpec  # noqa: F401

# DNS wire constants (RFC 1035, RFC 6762 §10.2 cache-flush bit).
_FLAGS_RESPONSE_AA = 0x8000 | 0x0400
_TYPE_A, _TYPE_AAAA = 1, 28
_CLASS_IN_FLUSH = 1 | 0x8000
REGISTER_TIMEOUT_S = 20.0
PROBES = 3
PROBE_INTERVAL_S = 0.25

log = logging.getLogger("classbox.discovery")


def ip_version(addresses: list[str]) -> IPVersion:
    """The IP versions python-zeroconf must open sockets for."""
    has6 = any(":" in a for a in addresses)
    has4 = any(":" not in a for a in addresses)
    return IPVersion.All if has4 and has6 else IPVersion.V6Only if has6 else IPVersion.V4Only


class ZeroconfResponder:
    """Responder on python-zeroconf, bound to the box's own addresses only."""

    def __init__(self, factory: Callable[..., Zeroconf] = Zeroconf):
        self._factory = factory
        self.zc: Zeroconf | None = None
        self._spec: ServiceSpec | None = None
        self._infos: list[ServiceInfo] = []
        self._watch = _ConflictWatch()

    def start(self, addresses: list[str]) -> None:
        self.zc = self._factory(interfaces=list(addresses), ip_version=ip_version(addresses))
        self.zc.add_listener(self._watch, None)

    def _info(self, type_: str, instance: str, addresses: list[str]) -> ServiceInfo:
        spec = self._spec
        assert spec is not None
        return ServiceInfo(type_, f"{instance}.{type_}", port=spec.port, properties=spec.txt,
                           server=spec.host, parsed_addresses=list(addresses))

    def register(self, spec: ServiceSpec, addresses: list[str]) -> str:
        assert self.zc is not None and self.zc.loop is not None
        self._spec = spec
        infos = [self._info(t, spec.instance, addresses) for t in SERVICE_TYPES]
        # Both services probe at once, at the RFC's pace (see _probe).
        future = asyncio.run_coroutine_threadsafe(_register_all(self.zc, infos), self.zc.loop)
        future.result(REGISTER_TIMEOUT_S)
        names = [info.name[: -len(info.type) - 1] for info in infos]
        if len(set(names)) > 1:
            log.warning("mDNS name conflict on one service only: announced as %s", " and ".join(map(repr, names)))
        self._infos = infos
        self._watch.watch(infos, spec.host)
        return names[0]

    def conflicted(self) -> bool:
        return self._watch.conflict

    def rename(self) -> str:
        assert self.zc is not None and self.zc.loop is not None and self._spec is not None
        instance = _next_name(self._infos[0].name[: -len(self._infos[0].type) - 1])
        old, self._infos = self._infos, []
        addresses = old[0].parsed_addresses() if old else []
        infos = [self._info(t, instance, addresses) for t in SERVICE_TYPES]
        self._watch.watch([], self._spec.host)
        future = asyncio.run_coroutine_threadsafe(_swap(self.zc, old, infos), self.zc.loop)
        future.result(REGISTER_TIMEOUT_S)
        self._infos = infos
        self._watch.watch(infos, self._spec.host)
        return infos[0].name[: -len(infos[0].type) - 1]

    def defend(self) -> bool:
        if not self._watch.challenged or self.zc is None:
            return False
        self._watch.challenged = False
        for info in self._infos:  # lets the challenger see our records, and rename itself
            self.zc.update_service(info)
        return True

    def update(self, addresses: list[str], removed: list[str]) -> None:
        assert self.zc is not None and self._spec is not None
        infos = [ServiceInfo(i.type, i.name, port=i.port, properties=self._spec.txt, server=i.server,
                             parsed_addresses=list(addresses)) for i in self._infos]
        for info in infos:  # registry first, so the rescan below re-announces the new records
            self.zc.update_service(info)
        self._infos = infos
        self.zc.update_interfaces(list(addresses), ip_version=ip_version(addresses))
        if removed:
            self.zc.send(goodbye_for_addresses(self._spec.host, removed))

    def close(self) -> None:
        if self.zc is None:
            return
        try:
            self.zc.close()  # unregisters every service: PTR/SRV/TXT/A goodbyes with TTL 0
        finally:
            self.zc = None
            self._infos = []


class _ConflictWatch(RecordUpdateListener):
    """Sees another host announce one of our service names (e.g. two boxes joined by a cable).

    Probing catches a conflict only at start. Later, the host whose name sorts first keeps the
    name and re-announces it (RFC 6762 §9: defend), so the other sees it and renames.
    """

    def __init__(self) -> None:
        self.conflict = False
        self.challenged = False
        self._names: set[str] = set()
        self._host = ""

    def watch(self, infos: list[ServiceInfo], host: str) -> None:
        self._names = {info.key for info in infos}
        self._host = host.lower()
        self.conflict = False

    def async_update_records(self, zc: Zeroconf, now: float, records: list[RecordUpdate]) -> None:
        for update in records:
            new = update.new
            if not (isinstance(new, DNSService) and new.ttl > 0 and new.key in self._names
                    and new.server_key != self._host):
                continue
            log.warning("mDNS name conflict: %s is also announced by %s", new.name, new.server)
            if new.server_key < self._host:
                self.conflict = True
            else:
                self.challenged = True


async def _swap(zc: Zeroconf, old: list[ServiceInfo], new: list[ServiceInfo]) -> None:
    """Drop contested registrations silently (a goodbye would erase the other host's) and register anew."""
    zc.registry.async_remove(old)
    await _register_all(zc, new)


async def _probe(zc: Zeroconf, infos: list[ServiceInfo]) -> None:
    """RFC 6762 §8.1 probing: 3 queries 250 ms apart; on a conflict, rename (-2, -3…) and restart.

    python-zeroconf's own probing spaces its queries 500 ms apart: doing it at the RFC's pace
    lets the box answer about 0.8 s sooner after start.
    """
    await asyncio.sleep(random.uniform(0.0, PROBE_INTERVAL_S))  # noqa: S311 (not security)
    sent = 0
    while True:
        renamed = False
        for info in infos:
            while zc.cache.current_entry_with_name_and_alias(info.type, info.name):
                info.name = _next_name(info.name[: -len(info.type) - 1]) + "." + info.type
                renamed = True
        if renamed:
            sent = 0
        if sent == PROBES:
            return
        for info in infos:
            zc.async_send(zc.generate_service_query(info))
        sent += 1
        await asyncio.sleep(PROBE_INTERVAL_S)


def _next_name(instance: str) -> str:
    """"Classbox X" → "Classbox X-2" → "Classbox X-3"."""
    base, _, number = instance.rpartition("-")
    return f"{base}-{int(number) + 1}" if base and number.isdigit() else f"{instance}-2"


async def _register_all(zc: Zeroconf, infos: list[ServiceInfo]) -> None:
    """Probe for the names (renaming on conflict), then register and announce every service."""
    await zc.async_wait_for_start()
    await _probe(zc, infos)
    announcements = [await zc.async_register_service(i, cooperating_responders=True) for i in infos]
    await asyncio.gather(*announcements)


def goodbye_for_addresses(host: str, addresses: list[str]) -> DNSOutgoing:
    """A response withdrawing the host's address records for `addresses` (TTL 0)."""
    out = DNSOutgoing(_FLAGS_RESPONSE_AA)
    for address in addresses:
        ip = ipaddress.ip_address(address)
        kind = _TYPE_AAAA if ip.version == 6 else _TYPE_A
        out.add_answer_at_time(DNSAddress(host, kind, _CLASS_IN_FLUSH, 0, ip.packed), 0)
    return out
