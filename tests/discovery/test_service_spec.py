"""What the box announces: its addresses, names, port and TXT record, agent services, avahi's file."""

from __future__ import annotations

import socket
import threading
from types import SimpleNamespace
from xml.dom import minidom

import pytest

from classbox.config import ConfigError, load_config
from classbox.discovery import agent_services
from classbox.discovery.addresses import address_list, host_addresses
from classbox.discovery.advertiser import Advertiser, advertised_port, dns_label, instance_name, service_spec
from classbox.discovery.avahi import AvahiWatch, avahi_service_xml
from classbox.discovery.responder import ServiceSpec, goodbye_for_addresses
from classbox.storage import open_database
from classbox.storage.core import get_state
from tests.helpers import make_config

SPEC = ServiceSpec("Classbox Test", "box.local.", 8080, {"path": "/", "id": "cb-1", "v": "1.0", "uai": ""})


def addr(family, address):
    return SimpleNamespace(family=family, address=address)


def test_addresses_skip_loopback_link_local_v6_and_down_interfaces():
    found = host_addresses(
        lambda: {"lo": [addr(socket.AF_INET, "127.0.0.1"), addr(socket.AF_INET6, "::1")],
                 "eth0": [addr(socket.AF_INET, "192.168.1.20"), addr(socket.AF_INET6, "fe80::1%eth0"),
                          addr(socket.AF_INET6, "2a01:db8::20"), addr(socket.AF_PACKET, "aa:bb:cc:dd:ee:ff")],
                 "wlan0": [addr(socket.AF_INET, "10.42.0.1"), addr(socket.AF_INET, "169.254.3.4")],
                 "eth1": [addr(socket.AF_INET, "172.16.0.9")]},
        lambda: {"eth1": SimpleNamespace(isup=False), "eth0": SimpleNamespace(isup=True)})
    assert address_list(found) == ["192.168.1.20", "10.42.0.1", "169.254.3.4", "2a01:db8::20"]


def test_addresses_limited_to_configured_interfaces():
    found = host_addresses(lambda: {"eth0": [addr(socket.AF_INET, "192.168.1.20")],
                                    "docker0": [addr(socket.AF_INET, "172.17.0.1")]}, None, ["eth0"])
    assert address_list(found) == ["192.168.1.20"]


@pytest.mark.parametrize("raw, label", [("Classbox-Ecole", "classbox-ecole"), ("pi.home.lan", "pi"),
                                        ("École Ferry!", "cole-ferry"), ("---", "classbox"), ("a" * 80, "a" * 63)])
def test_host_label_is_a_valid_dns_label(raw, label):
    assert dns_label(raw) == label


def test_instance_name_is_prefixed_printable_and_bounded():
    assert instance_name("École Jules Ferry") == "Classbox École Jules Ferry"
    assert instance_name("Classbox du collège") == "Classbox du collège"
    assert instance_name("a\x1b[31mb\nc") == "Classbox a [31mb c"
    long = instance_name("é" * 100)
    assert len(long.encode()) <= 58 and long.startswith("Classbox é")


def test_port_and_txt_come_from_the_config(tmp_path):
    config = make_config(**{
        "data_dir": tmp_path, "box.name": "Ferry", "box.school_uai": "0871234X", "web.port": 8123,
        "discovery.hostname": "cb-ferry"})
    spec = service_spec(config, "cb-42", "1.2.3")
    assert spec == ServiceSpec("Classbox Ferry", "cb-ferry.local.", 8123,
                               {"path": "/", "id": "cb-42", "v": "1.2.3", "uai": "0871234X"})
    config["web"]["behind_nginx"] = True
    assert advertised_port(config) == 80
    config["discovery"]["port"] = 8443
    assert advertised_port(config) == 8443
    for bad in (-1, 70000):
        config["discovery"]["port"] = bad
        with pytest.raises(ConfigError, match=r"\[discovery\] port"):
            advertised_port(config)


def test_agent_refuses_a_bad_port_with_exit_2(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "classbox", "--config", "/dev/null", "--data-dir", str(tmp_path),
                             "agent"], env={"CLASSBOX_DISCOVERY_PORT": "99999", "CLASSBOX_WEB_HOST": "127.0.0.1",
                                                   "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "[discovery] port" in result.stderr


def test_goodbye_packet_withdraws_each_removed_address_with_ttl_0():
    packet = goodbye_for_addresses("box.local.", ["10.0.0.5", "fd00::5"])
    from zeroconf import DNSIncoming

    records = DNSIncoming(packet.packets()[0]).answers()
    assert sorted((r.name, r.type, r.ttl) for r in records) == [("box.local.", 1, 0), ("box.local.", 28, 0)]


def test_agent_services_follow_the_config(tmp_path):
    base = {"data_dir": tmp_path}
    [adv] = agent_services(make_config(**base))
    assert isinstance(adv, Advertiser) and adv.name == "discovery"
    [watch] = agent_services(load_config(path="/dev/null", env={},
                                         overrides={**base, "discovery.defer_to_avahi": True}))
    assert isinstance(watch, AvahiWatch)
    [off] = agent_services(make_config(**{**base, "discovery.enabled": False}))
    [local] = agent_services(make_config(**{**base, "web.host": "127.0.0.1"}))
    assert not isinstance(local, Advertiser) and "127.0.0.1" in local.reason
    [nginx] = agent_services(make_config(**{
        **base, "web.host": "127.0.0.1", "web.behind_nginx": True}))
    assert isinstance(nginx, Advertiser) and nginx.spec.port == 80
    from classbox.web.datadir import prepare_data_dir

    prepare_data_dir(make_config(**base)).conn.close()
    off.run(threading.Event())
    db = open_database(tmp_path)
    assert get_state(db, "discovery")["mode"] == "disabled"
    db.conn.close()


def test_avahi_mode_records_whether_avahi_announces(tmp_path):
    states = []
    service_file, pid_file = tmp_path / "classbox.service", tmp_path / "pid"
    watch = AvahiWatch(SPEC, service_file, states.append, lambda: ["10.0.0.5"], pid_file=pid_file)
    assert watch.state()["announcing"] is False and "missing" in watch.state()["error"]
    service_file.write_text(avahi_service_xml(SPEC))
    pid_file.write_text("1")
    assert watch.state()["announcing"] is True and watch.state()["mode"] == "avahi"


def test_avahi_service_file_escapes_and_lists_both_types():
    text = avahi_service_xml(ServiceSpec("Classbox A&B <x>", "h.local.", 80,
                                         {"path": "/", "id": "i", "v": "1", "uai": "U"}))
    assert "<name replace-wildcards=\"no\">Classbox A&amp;B &lt;x&gt;</name>" in text
    assert text.count("<type>_classbox._tcp</type>") == 1 and text.count("<type>_http._tcp</type>") == 1
    assert "<txt-record>uai=U</txt-record>" in text
    doc = minidom.parseString(text.encode())
    assert len(doc.getElementsByTagName("service")) == 2


def test_late_conflict_watch_yields_only_to_a_host_that_sorts_first():
    from zeroconf import DNSService, RecordUpdate, ServiceInfo

    from classbox.discovery.responder import _ConflictWatch, _next_name

    name = "Classbox Test._classbox._tcp.local."
    info = ServiceInfo("_classbox._tcp.local.", name, port=80, server="classbox-m.local.",
                       parsed_addresses=["10.0.0.5"])
    watch = _ConflictWatch()
    watch.watch([info], "classbox-m.local.")

    def srv(server, ttl=120, record_name=name):
        return [RecordUpdate(DNSService(record_name, 33, 1, ttl, 0, 0, 80, server), None)]

    watch.async_update_records(None, 0, srv("classbox-m.local."))  # our own record, looped back
    watch.async_update_records(None, 0, srv("classbox-z.local."))  # the other box yields to us
    assert watch.challenged is True and watch.conflict is False
    watch.async_update_records(None, 0, srv("classbox-a.local.", ttl=0))  # a goodbye is no conflict
    watch.async_update_records(None, 0, srv("classbox-a.local.", record_name="Other._classbox._tcp.local."))
    assert watch.conflict is False
    watch.async_update_records(None, 0, srv("classbox-a.local."))
    assert watch.conflict is True
    assert _next_name("Classbox Test") == "Classbox Test-2" and _next_name("Classbox Test-2") == "Classbox Test-3"
    assert _next_name("Classbox Saint-Exupéry") == "Classbox Saint-Exupéry-2"
