"""When avahi-daemon announces the box instead of the agent: its service file and a watcher."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable
from xml.sax.saxutils import escape

from classbox.discovery.advertiser import Recorder
from classbox.discovery.service import SERVICE_TYPES, ServiceSpec

AVAHI_PID_FILE = Path("/run/avahi-daemon/pid")
CHECK_S = 30.0


def avahi_service_xml(spec: ServiceSpec) -> str:
    """The /etc/avahi/services file announcing both services with the same name and TXT."""
    txt = "".join(f"    <txt-record>{escape(k)}={escape(v)}</txt-record>\n" for k, v in spec.txt.items())
    services = "".join(
        f"  <service>\n    <type>{t.removesuffix('.local.')}</type>\n    <port>{spec.port}</port>\n{txt}  </service>\n"
        for t in SERVICE_TYPES)
    return ('<?xml version="1.0" standalone="no"?>\n'
            '<!DOCTYPE service-group SYSTEM "avahi-service.dtd">\n'
            '<!-- written by classbox: classbox discover, option avahi-service; avahi renames on conflict -->\n'
            f'<service-group>\n  <name replace-wildcards="no">{escape(spec.instance)}</name>\n'
            f"{services}</service-group>\n")


class AvahiWatch:
    """Agent service in defer_to_avahi mode: records whether avahi is set up to announce the box."""

    name = "discovery"

    def __init__(self, spec: ServiceSpec, service_file: Path, record: Recorder,
                 addresses: Callable[[], list[str]], pid_file: Path = AVAHI_PID_FILE,
                 check_s: float = CHECK_S, clock: Callable[[], float] = time.time):
        self.spec, self.service_file, self._record = spec, service_file, record
        self._addresses, self.pid_file, self.check_s, self._clock = addresses, pid_file, check_s, clock

    def state(self) -> dict[str, Any]:
        """Announcing means: avahi-daemon runs and our service file is in place."""
        has_file = self.service_file.is_file()
        running = self.pid_file.is_file()
        problem = None if has_file and running else (
            "avahi-daemon is not running" if has_file else f"{self.service_file} is missing")
        return {"mode": "avahi", "announcing": has_file and running, "addresses": self._addresses(),
                "since": None, "instance": self.spec.instance, "host": self.spec.host,
                "port": self.spec.port, "types": list(SERVICE_TYPES), "error": problem}

    def run(self, stop: threading.Event) -> None:
        """Record the state now and whenever it changes, until stop."""
        last = None
        while not stop.is_set():
            current = self.state()
            if current != last:
                self._record({**current, "updated_at": self._clock()})
                last = current
            stop.wait(self.check_s)
