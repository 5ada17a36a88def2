"""Finding boxes on the LAN: a python-zeroconf browser for `_classbox._tcp.local.`."""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from zeroconf import BadTypeInNameException, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

from classbox.config_values import https_url_problem
from classbox.discovery.responder import CLASSBOX_TYPE

MAX_BOXES = 256
MAX_TEXT = 120

log = logging.getLogger("classbox.discovery")


def clean(value: Any) -> str:
    """Text from the network made safe to print: decoded, no control characters, bounded."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = "" if value is None else str(value)
    text = "".join("?" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    return text[:MAX_TEXT]


@dataclass
class FoundBox:
    """One box seen on the network."""

    name: str
    addresses: list[str] = field(default_factory=list)
    port: int = 0
    version: str = ""
    school: str = ""
    id: str = ""
    host: str = ""
    url: str = ""  # TXT url=: the HTTPS URL under a certificate every device trusts

    def as_dict(self) -> dict[str, Any]:
        """The box as JSON-ready data."""
        return asdict(self)


def box_from_info(info: ServiceInfo) -> FoundBox:
    """A FoundBox from a resolved service (every field cleaned: the sender may be hostile)."""
    props = {clean(k): clean(v) for k, v in (info.properties or {}).items()}
    name = info.name[: -len(info.type) - 1] if info.name.endswith("." + info.type) else info.name
    return FoundBox(name=clean(name), addresses=[clean(a) for a in info.parsed_scoped_addresses()][:16],
                    port=int(info.port or 0), version=props.get("v", ""), school=props.get("uai", ""),
                    id=props.get("id", ""), host=clean(info.server or ""), url=_https_url((info.properties or {}).get(b"url")))


def _https_url(raw: Any) -> str:
    """The announced HTTPS URL, or "" when it is anything else (a hostile or broken announcement)."""
    try:
        text = raw.decode("ascii") if isinstance(raw, bytes) else ""
    except UnicodeDecodeError:
        return ""
    printable = text.isprintable() and len(text) <= 300
    return text if printable and https_url_problem(text) is None else ""


def discover(timeout: float = 3.0, zeroconf_factory: Callable[[], Zeroconf] = Zeroconf,
             service_type: str = CLASSBOX_TYPE) -> list[FoundBox]:
    """Browse for `timeout` seconds and return the boxes that answered, sorted by name."""
    zc = zeroconf_factory()
    names: list[str] = []
    lock = threading.Lock()

    def on_change(zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change is not ServiceStateChange.Removed:
            with lock:
                if name not in names and len(names) < MAX_BOXES:
                    names.append(name)

    try:
        browser = ServiceBrowser(zc, service_type, handlers=[on_change])
        time.sleep(max(0.0, timeout))
        browser.cancel()
        found = []
        for name in list(names):
            try:
                info = ServiceInfo(service_type, name)
                if info.load_from_cache(zc) or info.request(zc, 1500):
                    found.append(box_from_info(info))
            except (BadTypeInNameException, ValueError) as err:  # a malformed announcement
                log.warning("ignoring a malformed announcement %r: %s", clean(name), err)
    finally:
        zc.close()
    return sorted(found, key=lambda b: (b.name.lower(), b.id))


def format_table(boxes: list[FoundBox]) -> str:
    """A plain-text table for technicians."""
    if not boxes:
        return "no classbox found on this network"
    rows = [("NAME", "ADDRESSES", "PORT", "VERSION", "SCHOOL", "ID")]
    rows += [(b.name, ",".join(b.addresses) or "-", str(b.port), b.version or "-", b.school or "-",
              b.id or "-") for b in boxes]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
