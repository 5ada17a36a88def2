"""The box's own addresses: what the advertiser announces and what /connect shows."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import psutil

NetIfAddrs = Callable[[], Mapping[str, Iterable[Any]]]
NetIfStats = Callable[[], Mapping[str, Any]]


@dataclass(frozen=True, order=True)
class HostAddress:
    """One usable address of the box: IPv4 before IPv6, then by interface and address."""

    version: int
    interface: str
    address: str

    @property
    def is_link_local(self) -> bool:
        """169.254.0.0/16: reachable only on the local link (no DHCP server answered)."""
        return ipaddress.ip_address(self.address).is_link_local


def usable(address: str, family: int) -> str | None:
    """The address without scope if the box can be reached on it, else None."""
    if family not in (socket.AF_INET, socket.AF_INET6):
        return None
    text = address.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.is_loopback or ip.is_multicast or ip.is_unspecified:
        return None
    if ip.version == 6 and ip.is_link_local:
        return None  # fe80:: needs a scope id: useless in a URL or a DNS record
    return ip.compressed


def host_addresses(
    net_if_addrs: NetIfAddrs = psutil.net_if_addrs,
    net_if_stats: NetIfStats | None = psutil.net_if_stats,
    interfaces: Iterable[str] = (),
) -> list[HostAddress]:
    """Every non-loopback IPv4 and non-link-local IPv6 address of interfaces that are up.

    `interfaces`, when not empty, limits the result to those interface names.
    """
    wanted = set(interfaces)
    stats = net_if_stats() if net_if_stats is not None else {}
    found: set[HostAddress] = set()
    for name, entries in net_if_addrs().items():
        if wanted and name not in wanted:
            continue
        stat = stats.get(name)
        if stat is not None and not getattr(stat, "isup", True):
            continue
        for entry in entries:
            address = usable(getattr(entry, "address", ""), getattr(entry, "family", None))
            if address is not None:
                version = 6 if ":" in address else 4
                found.add(HostAddress(version, name, address))
    return sorted(found)


def address_list(found: Iterable[HostAddress]) -> list[str]:
    """The distinct addresses, in order, routable ones before 169.254.x.x."""
    ordered = sorted(found, key=lambda a: (a.version, a.is_link_local, a.interface, a.address))
    seen: list[str] = []
    for item in ordered:
        if item.address not in seen:
            seen.append(item.address)
    return seen
