"""Two network namespaces joined by a veth pair, made by the test and always deleted."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from typing import Iterator

import pytest

from tests.helpers import IS_ROOT, require_apt


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run `ip ARGS`."""
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


@dataclass
class Link:
    """Both ends: namespace names, veth names and their IPv4 addresses."""

    box_ns: str
    peer_ns: str
    box_if: str
    peer_if: str
    box_ip: str
    peer_ip: str
    prefix: str
    box_ip6: str = ""
    peer_ip6: str = ""

    def add_ipv6(self, box_ip6: str, peer_ip6: str) -> None:
        """Give both ends an IPv6 ULA address (no duplicate address detection: usable at once)."""
        ip("-n", self.box_ns, "-6", "addr", "add", f"{box_ip6}/64", "dev", self.box_if, "nodad")
        ip("-n", self.peer_ns, "-6", "addr", "add", f"{peer_ip6}/64", "dev", self.peer_if, "nodad")
        self.box_ip6, self.peer_ip6 = box_ip6, peer_ip6

    def run_in(self, ns: str, *cmd: str, **kw) -> subprocess.CompletedProcess:
        """Run a command inside one namespace."""
        return subprocess.run(["ip", "netns", "exec", ns, *cmd], **kw)

    def popen_in(self, ns: str, *cmd: str, **kw) -> subprocess.Popen:
        """Start a process inside one namespace, in its own process group."""
        return subprocess.Popen(["ip", "netns", "exec", ns, *cmd], start_new_session=True, **kw)

    def set_box_address(self, new_ip: str) -> None:
        """Replace the box's address (as a DHCP renumbering would)."""
        # promote_secondaries (set at creation) keeps the new address when the old one goes
        ip("-n", self.box_ns, "addr", "add", f"{new_ip}/24", "dev", self.box_if)
        ip("-n", self.box_ns, "addr", "del", f"{self.box_ip}/24", "dev", self.box_if)
        self.box_ip = new_ip


def require_netns() -> None:
    """Skip (a failure with CI=true) unless we may create namespaces."""
    if not sys.platform.startswith("linux"):
        pytest.skip("network namespaces need Linux")
    if not IS_ROOT:
        pytest.skip("creating network namespaces and veth pairs needs root (run the tests as root)")
    require_apt("ip", "iproute2")


@contextlib.contextmanager
def veth_pair() -> Iterator[Link]:
    """Create box and peer namespaces with a veth pair between them; delete everything after."""
    require_netns()
    tag = f"{os.getpid() % 10000:04d}{secrets.token_hex(2)}"
    subnet = f"198.18.{secrets.randbelow(250) + 1}"
    link = Link(f"cbdisc-box-{tag}", f"cbdisc-peer-{tag}", f"cbb{tag}", f"cbp{tag}",
                f"{subnet}.1", f"{subnet}.2", subnet)
    try:
        ip("netns", "add", link.box_ns)
        ip("netns", "add", link.peer_ns)
        ip("link", "add", link.box_if, "netns", link.box_ns, "type", "veth",
           "peer", "name", link.peer_if, "netns", link.peer_ns)
        for ns, dev, addr in ((link.box_ns, link.box_if, link.box_ip),
                              (link.peer_ns, link.peer_if, link.peer_ip)):
            ip("-n", ns, "link", "set", "lo", "up")
            for scope in ("all", "default"):
                subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w",
                                f"net.ipv4.conf.{scope}.promote_secondaries=1"], check=True)
            ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            ip("-n", ns, "link", "set", dev, "up", "multicast", "on")
        yield link
    finally:
        for ns in (link.box_ns, link.peer_ns):
            ip("netns", "del", ns, check=False)  # deleting a namespace deletes its veth end
