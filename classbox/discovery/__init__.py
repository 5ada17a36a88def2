"""Discovery: mDNS advertising, the projector's connect page, `classbox discover`."""

from __future__ import annotations

import ipaddress
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from classbox.config import Config
from classbox.features import hook

if TYPE_CHECKING:  # Flask is imported when the web app is built, not by `classbox agent`
    from flask import Blueprint


def current_addresses(config: Config) -> Callable[[], list[str]]:
    """An enumerator of the addresses to announce, honouring [discovery] interfaces."""
    from classbox.discovery.addresses import address_list, host_addresses

    wanted = list(config["discovery"]["interfaces"])
    return lambda: address_list(host_addresses(interfaces=wanted))


def loopback_only(config: Config) -> bool:
    """Whether the web app listens only on loopback (a laptop demo, a test): nothing to announce."""
    if config["web"]["behind_nginx"]:
        return False
    try:
        return ipaddress.ip_address(config["web"]["host"].strip("[]")).is_loopback
    except ValueError:
        return config["web"]["host"] == "localhost"


class _Disabled:
    """Agent service when nothing is to be announced: records why, and ends."""

    name = "discovery"

    def __init__(self, record: Callable[[dict[str, Any]], None], reason: str):
        self._record = record
        self.reason = reason

    def run(self, stop: threading.Event) -> None:
        self._record({"mode": "disabled", "announcing": False, "addresses": [], "since": None,
                      "error": None, "reason": self.reason, "updated_at": time.time()})


@hook
def agent_services(config: Config) -> list:
    """The advertiser (or, in defer_to_avahi mode, a watcher of avahi's announcement)."""
    from classbox.discovery.advertiser import Advertiser, service_spec, state_recorder
    from classbox.discovery.responder import ZeroconfResponder
    from classbox.version import __version__
    from classbox.web.datadir import box_id

    record = state_recorder(config.data_dir)
    section = config["discovery"]
    if not section["enabled"]:
        return [_Disabled(record, "[discovery] enabled = false")]
    spec = service_spec(config, box_id(config), __version__)  # a bad port is a ConfigError (exit 2)
    if loopback_only(config):
        return [_Disabled(record, f"the web app listens on {config['web']['host']} only")]
    if section["defer_to_avahi"]:
        from classbox.discovery.avahi import AvahiWatch

        return [AvahiWatch(spec, Path(section["avahi_service_file"]), record, current_addresses(config))]
    return [Advertiser(spec, ZeroconfResponder, current_addresses(config), record)]


@hook
def blueprints() -> list[Blueprint]:
    """/connect and /api/connect."""
    from classbox.discovery.views import bp

    return [bp]


@hook
def cli_commands() -> list:
    """`classbox discover`."""
    from classbox.discovery.cli import discover

    return [discover]
