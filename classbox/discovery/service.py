"""What the box announces over mDNS, and the responder interface the advertiser drives.

Kept apart from responder.py so that the web workers (the /connect page reads the advertiser's
state) do not import python-zeroconf, which only the agent's advertiser runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

CLASSBOX_TYPE = "_classbox._tcp.local."
HTTP_TYPE = "_http._tcp.local."
SERVICE_TYPES = (CLASSBOX_TYPE, HTTP_TYPE)


@dataclass(frozen=True)
class ServiceSpec:
    """What the box announces: instance name, host name, port and TXT properties."""

    instance: str
    host: str  # "classbox-ecole.local."
    port: int
    txt: dict[str, str] = field(default_factory=dict)


class Responder(Protocol):
    """An mDNS responder the advertiser drives (python-zeroconf, or a fake in tests)."""

    def start(self, addresses: list[str]) -> None:
        """Open the multicast sockets on these addresses."""

    def register(self, spec: ServiceSpec, addresses: list[str]) -> str:
        """Probe and announce both services; return the instance name won (suffixed on conflict)."""

    def update(self, addresses: list[str], removed: list[str]) -> None:
        """Move to a new address set: re-announce, and say goodbye to the removed addresses."""

    def conflicted(self) -> bool:
        """Whether another host announced our instance name after we won it (and must yield it)."""

    def rename(self) -> str:
        """Take the next free suffixed name, without a goodbye for the contested one."""

    def defend(self) -> bool:
        """Re-announce our records if a host that must yield claimed our name; True if done."""

    def close(self) -> None:
        """Send goodbyes (TTL 0) for everything announced and close the sockets."""
