"""A slow uplink: ralph in a network namespace behind `tc tbf rate 512kbit`, the box capped lower."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from classbox.storage import open_database
from classbox.sync.runner import SyncRunner
from tests.helpers import IS_ROOT, require_apt
from tests.sync.conftest import enqueue_answers, lrs_config
from tests.sync.peers import Ralph

pytestmark = pytest.mark.peer


@pytest.fixture
def slow_namespace():
    """A namespace reached through a veth shaped to 512 kbit/s; yields (namespace, peer address)."""
    ip = require_apt("ip", "iproute2")
    tc = require_apt("tc", "iproute2")
    if not IS_ROOT:
        pytest.skip("network namespaces need root")
    tag = f"{os.getpid() % 100000}"
    ns, host_if, ns_if = f"cbsync{tag}", f"cbs{tag}a", f"cbs{tag}b"
    octet = 16 + os.getpid() % 200
    host_ip, ns_ip = f"10.213.{octet}.1", f"10.213.{octet}.2"

    def run(*args):
        subprocess.run(list(args), check=True, capture_output=True)
    run(ip, "netns", "add", ns)
    try:
        run(ip, "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        run(ip, "link", "set", ns_if, "netns", ns)
        run(ip, "addr", "add", f"{host_ip}/30", "dev", host_if)
        run(ip, "link", "set", host_if, "up")
        run(ip, "netns", "exec", ns, ip, "addr", "add", f"{ns_ip}/30", "dev", ns_if)
        run(ip, "netns", "exec", ns, ip, "link", "set", ns_if, "up")
        run(ip, "netns", "exec", ns, ip, "link", "set", "lo", "up")
        run(tc, "qdisc", "add", "dev", host_if, "root", "tbf", "rate", "512kbit", "burst", "16kbit",
            "latency", "400ms")
        run(ip, "netns", "exec", ns, tc, "qdisc", "add", "dev", ns_if, "root", "tbf", "rate", "512kbit",
            "burst", "16kbit", "latency", "400ms")
        yield ns, ns_ip
    finally:
        subprocess.run([ip, "link", "del", host_if], capture_output=True)
        subprocess.run([ip, "netns", "del", ns], capture_output=True)


def test_cap_is_honoured_over_a_slow_link_and_delivery_completes(tmp_path, slow_namespace):
    ns, address = slow_namespace
    with Ralph(tmp_path / "lrs", host=address, netns=ns) as server:
        cap_kbps = 256
        config = lrs_config(tmp_path, server, **{"sync.max_kbps": cap_kbps, "sync.batch_size": 50,
                                                 "sync.gzip": False, "sync.timeout_s": 30.0})
        db = open_database(config.data_dir)
        ids = enqueue_answers(db, 200)
        runner = SyncRunner(config)
        started = time.monotonic()
        try:
            while runner.once()["delivered"]:
                pass
            elapsed = time.monotonic() - started
            sent = runner.link.sent
        finally:
            runner.link.close()
        assert [s["id"] for s in server.stored()] == ids
        # the box never sends faster than its cap (minus one initial burst of a quarter second)
        assert sent * 8 / (cap_kbps * 1000) - 0.25 <= elapsed
