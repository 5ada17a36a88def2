"""Real multicast between two network namespaces: the agent announces, peers find it.

The agent (`python -m classbox agent`) runs in the box namespace; python-zeroconf's browser
and `dig -p 5353 @box` (bind9-dnsutils, an independent DNS client) run in the peer namespace.
"""

from __future__ import annotations

import json
import signal
import sys

import pytest

from classbox.storage import open_database
from classbox.storage.core import get_state
from classbox.version import __version__
from tests.discovery.netns import veth_pair
from tests.discovery.peers import agent_env, dig, dig_records, start_agent, start_browser, stop_group
from tests.helpers import wait_until

pytestmark = [pytest.mark.peer, pytest.mark.slow]

NAME = "École Jules Ferry"
INSTANCE = "Classbox École Jules Ferry"
DIG_INSTANCE = "Classbox\\032\\195\\137cole\\032Jules\\032Ferry"  # dig's escaping of INSTANCE
SETTINGS = {"box_name": NAME, "box_id": "cb-test-0001", "box_school_uai": "0871234X",
            "discovery_hostname": "classbox-ferry", "web_port": "8123"}


@pytest.fixture
def link():
    with veth_pair() as pair:
        yield pair


@pytest.fixture
def box(link, tmp_path):
    """The agent running in the box namespace; stopped (SIGTERM, then SIGKILL) at the end."""
    proc = start_agent(link, link.box_ns, tmp_path / "box", tmp_path / "agent.log", **SETTINGS)
    yield proc
    stop_group(proc)
    print((tmp_path / "agent.log").read_text(errors="replace")[-3000:])


@pytest.fixture
def browse(link):
    """Start python-zeroconf's browser in the peer namespace (stopped at the end)."""
    started = []

    def start():
        started.append(start_browser(link))
        return started[-1]
    yield start
    for browser in started:
        browser.close()


def wait_state(data_dir, ready, timeout: float = 10.0) -> dict:
    """The agent's recorded discovery state, once `ready(state)` holds (it is written after announcing)."""
    seen: list[dict] = [{}]

    def recorded() -> bool:
        db = open_database(data_dir)
        try:
            seen.append(get_state(db, "discovery") or {})
        finally:
            db.conn.close()
        return ready(seen[-1])

    wait_until(recorded, timeout, 0.2)
    return seen[-1]


def is_box(event: dict, address: str | None = None) -> bool:
    return (event["event"] in ("added", "updated") and event["name"] == f"{INSTANCE}._classbox._tcp.local."
            and (address is None or address in event["addresses"]))


def test_browser_and_dig_find_the_box_with_address_port_and_txt(link, box, browse, tmp_path):
    browser = browse()
    seen = browser.wait_for(is_box, 15, "the box in the browser")
    assert seen["addresses"] == [link.box_ip]
    assert seen["port"] == 8123
    assert seen["server"] == "classbox-ferry.local."
    assert seen["txt"] == {"path": "/", "id": "cb-test-0001", "v": __version__, "uai": "0871234X"}

    for service in ("_classbox._tcp.local", "_http._tcp.local"):
        records = dig_records(dig(link, link.box_ip, service, "PTR"))
        by_type = {(r[2], r[0]): r[3] for r in records}
        assert by_type[("PTR", f"{service}.")] == f"{DIG_INSTANCE}.{service}."
        assert by_type[("SRV", f"{DIG_INSTANCE}.{service}.")] == "0 0 8123 classbox-ferry.local."
        txt = by_type[("TXT", f"{DIG_INSTANCE}.{service}.")]
        assert txt == f'"path=/" "id=cb-test-0001" "v={__version__}" "uai=0871234X"'
        assert by_type[("A", "classbox-ferry.local.")] == link.box_ip

    state = wait_state(tmp_path / "box", lambda s: s.get("announcing"))
    assert state["addresses"] == [link.box_ip] and state["mode"] == "zeroconf"
    assert state["instance"] == INSTANCE and state["since"] > 0


def test_a_new_address_is_announced_and_the_old_one_withdrawn(link, box, browse):
    browser = browse()
    browser.wait_for(is_box, 15, "the box in the browser")
    old, new = link.box_ip, f"{link.prefix}.77"
    mark = browser.mark()
    link.set_box_address(new)

    browser.wait_after(mark, lambda e: is_box(e, new), 10, f"the new address {new} announced")
    browser.wait_after(mark, lambda e: e["event"] == "goodbye" and e.get("address") == old, 10,
                       f"a goodbye (TTL 0) for the old address {old}")
    records = dig_records(dig(link, new, "_classbox._tcp.local", "PTR"))
    assert ("classbox-ferry.local.", "A") in {(r[0], r[2]) for r in records}
    assert [r[3] for r in records if r[2] == "A"] == [new]


def test_sigterm_sends_goodbyes_for_both_services(link, box, browse):
    browser = browse()
    browser.wait_for(is_box, 15, "the box in the browser")
    mark = browser.mark()
    assert stop_group(box, signal.SIGTERM) == 0
    for service in ("_classbox._tcp.local.", "_http._tcp.local."):
        browser.wait_after(mark, lambda e: e["event"] == "goodbye" and e["name"] == service and e["type"] == 12,
                           5, f"a PTR goodbye for {service}")
    browser.wait_after(mark, lambda e: e["event"] == "removed", 15, "the browser sees the box removed")


def test_a_second_box_with_the_same_name_gets_a_suffix(link, box, browse, tmp_path):
    browser = browse()
    browser.wait_for(is_box, 15, "the first box")
    twin = start_agent(link, link.peer_ns, tmp_path / "twin", tmp_path / "twin.log",
                       **{**SETTINGS, "box_id": "cb-test-0002", "discovery_hostname": "classbox-twin"})
    try:
        renamed = browser.wait_for(lambda e: e["event"] in ("added", "updated")
                                   and e["name"] == f"{INSTANCE}-2._classbox._tcp.local.", 20, "the twin, renamed")
        assert renamed["txt"]["id"] == "cb-test-0002"
        assert renamed["addresses"] == [link.peer_ip]
    finally:
        stop_group(twin)
        print("twin:", (tmp_path / "twin.log").read_text(errors="replace")[-3000:])
    log = (tmp_path / "twin.log").read_text()
    assert "name conflict" in log and f"{INSTANCE}-2" in log
    assert wait_state(tmp_path / "twin", lambda s: "instance" in s)["instance"] == f"{INSTANCE}-2"
    assert wait_state(tmp_path / "box", lambda s: s.get("announcing"))["instance"] == INSTANCE


def test_classbox_discover_lists_the_box(link, box, tmp_path):
    run = link.run_in(link.peer_ns, sys.executable, "-m", "classbox", "discover", "--json", "--timeout", "4",
                      env=agent_env(tmp_path / "tech"), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    found = [b for b in json.loads(run.stdout) if b["id"] == "cb-test-0001"]
    assert found == [{"name": INSTANCE, "addresses": [link.box_ip], "port": 8123, "version": __version__,
                      "school": "0871234X", "id": "cb-test-0001", "host": "classbox-ferry.local.",
                      "url": ""}]  # no HTTPS URL: this box has no trusted certificate
    table = link.run_in(link.peer_ns, sys.executable, "-m", "classbox", "discover", "--timeout", "3",
                        env=agent_env(tmp_path / "tech"), capture_output=True, text=True, timeout=60)
    assert table.stdout.splitlines()[0].split() == ["NAME", "ADDRESSES", "PORT", "VERSION", "SCHOOL", "ID"]
    assert f"{link.box_ip}  8123" in table.stdout and "0871234X" in table.stdout


def test_ipv6_address_is_announced_too(link, tmp_path, browse):
    link.add_ipv6("fd00:cb:" + link.prefix.split(".")[-1] + "::1", "fd00:cb:" + link.prefix.split(".")[-1] + "::2")
    agent = start_agent(link, link.box_ns, tmp_path / "box6", tmp_path / "agent6.log", **SETTINGS)
    try:
        browser = browse()
        seen = browser.wait_for(lambda e: is_box(e) and link.box_ip6 in e["addresses"], 15, "the box with IPv6")
        assert sorted(seen["addresses"]) == sorted([link.box_ip, link.box_ip6])
        records = dig_records(dig(link, link.box_ip, "_classbox._tcp.local", "PTR"))
        assert ("AAAA", link.box_ip6) in {(r[2], r[3]) for r in records}
    finally:
        stop_group(agent)
