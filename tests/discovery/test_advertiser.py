"""The advertiser's logic with an injected address list and a fake responder."""

from __future__ import annotations

import socket
import threading
from xml.dom import minidom
from types import SimpleNamespace

import pytest

from classbox.config import ConfigError, load_config
from classbox.discovery import agent_services
from classbox.discovery.addresses import address_list, host_addresses
from classbox.discovery.advertiser import (Advertiser, advertised_port, dns_label, instance_name,
                                           service_spec)
from classbox.discovery.avahi import AvahiWatch, avahi_service_xml
from classbox.discovery.responder import ServiceSpec, goodbye_for_addresses
from classbox.storage import open_database
from classbox.storage.core import get_state

SPEC = ServiceSpec("Classbox Test", "box.local.", 8080, {"path": "/", "id": "cb-1", "v": "1.0", "uai": ""})


class FakeResponder:
    """Records what the advertiser asks of the mDNS stack."""

    def __init__(self, log, taken=0, fail_start=False):
        self.log, self.taken, self.fail_start, self.conflict = log, taken, fail_start, False

    def start(self, addresses):
        if self.fail_start:
            raise OSError("Address already in use")
        self.log.append(("start", list(addresses)))

    def register(self, spec, addresses):
        self.log.append(("register", spec.instance, list(addresses)))
        return spec.instance if not self.taken else f"{spec.instance}-{self.taken + 1}"

    def update(self, addresses, removed):
        self.log.append(("update", list(addresses), list(removed)))

    def conflicted(self):
        return self.conflict

    def defend(self):
        if getattr(self, "challenged", False):
            self.challenged = False
            self.log.append(("defend",))
            return True
        return False

    def rename(self):
        self.log.append(("rename",))
        self.conflict = False
        return "Classbox Test-2"

    def close(self):
        self.log.append(("close",))


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def make(addresses, log, states, **responder):
    clock = Clock()
    adv = Advertiser(SPEC, lambda: FakeResponder(log, **responder), lambda: list(addresses), states.append,
                     poll_s=0.01, retry_s=30, clock=clock, monotonic=clock)
    return adv, clock


def test_announces_on_every_address_and_records_since_when():
    log, states = [], []
    adv, clock = make(["10.0.0.5", "fd00::5"], log, states)
    adv.step()
    assert log == [("start", ["10.0.0.5", "fd00::5"]), ("register", "Classbox Test", ["10.0.0.5", "fd00::5"])]
    assert states[-1]["announcing"] is True
    assert states[-1]["addresses"] == ["10.0.0.5", "fd00::5"]
    assert states[-1]["since"] == 1000.0
    adv.step()  # nothing changed: no new announcement, no new state write
    assert len(log) == 2 and len(states) == 1


def test_address_change_is_reannounced_with_the_removed_one_withdrawn():
    log, states = [], []
    addresses = ["10.0.0.5"]
    adv, _ = make(addresses, log, states)
    adv.step()
    addresses[:] = ["10.0.0.9", "192.168.1.2"]
    adv.step()
    assert log[-1] == ("update", ["10.0.0.9", "192.168.1.2"], ["10.0.0.5"])
    assert states[-1]["addresses"] == ["10.0.0.9", "192.168.1.2"] and states[-1]["since"] == 1000.0


def test_losing_every_address_stops_and_a_new_one_starts_again():
    log, states = [], []
    addresses = ["10.0.0.5"]
    adv, clock = make(addresses, log, states)
    adv.step()
    addresses.clear()
    adv.step()
    assert log[-1] == ("close",) and states[-1]["announcing"] is False and states[-1]["since"] is None
    addresses.append("10.0.0.6")
    clock.now += 5
    adv.step()
    assert log[-1] == ("register", "Classbox Test", ["10.0.0.6"])
    assert states[-1]["announcing"] is True and states[-1]["since"] == 1005.0


def test_name_conflict_at_start_is_logged_and_recorded(caplog):
    log, states = [], []
    adv, _ = make(["10.0.0.5"], log, states, taken=1)
    adv.step()
    assert states[-1]["instance"] == "Classbox Test-2"
    assert "name conflict" in caplog.text and "Classbox Test-2" in caplog.text


def test_conflict_after_start_renames(caplog):
    log, states = [], []
    adv, _ = make(["10.0.0.5"], log, states)
    adv.step()
    adv._responder.conflict = True
    adv.step()
    assert log[-1] == ("rename",)
    assert states[-1]["instance"] == "Classbox Test-2" and states[-1]["announcing"] is True
    assert "name conflict" in caplog.text


def test_a_challenged_name_is_defended(caplog):
    log, states = [], []
    adv, _ = make(["10.0.0.5"], log, states)
    adv.step()
    adv._responder.challenged = True
    adv.step()
    assert log[-1] == ("defend",) and states[-1]["instance"] == "Classbox Test"
    adv.step()
    assert log[-1] == ("defend",) and len([e for e in log if e == ("defend",)]) == 1


def test_a_failure_to_open_sockets_is_recorded_and_retried_later():
    log, states = [], []
    adv, clock = make(["10.0.0.5"], log, states, fail_start=True)
    adv.step()
    assert states[-1]["announcing"] is False and "Address already in use" in states[-1]["error"]
    adv._factory = lambda: FakeResponder(log)
    adv.step()  # within the retry delay: no new attempt
    assert not any(entry[0] == "register" for entry in log)
    clock.now += 31
    adv.step()
    assert log[-1][0] == "register" and states[-1]["error"] is None


def test_run_returns_promptly_on_stop_and_says_goodbye():
    log, states = [], []
    adv, _ = make(["10.0.0.5"], log, states)
    stop = threading.Event()
    thread = threading.Thread(target=adv.run, args=(stop,))
    thread.start()
    while not any(e[0] == "register" for e in log):
        stop.wait(0.01)
    stop.set()
    thread.join(2)
    assert not thread.is_alive()
    assert log[-1] == ("close",) and states[-1]["announcing"] is False


def test_an_enumerator_failure_keeps_the_advertiser_alive():
    log, states = [], []
    adv = Advertiser(SPEC, lambda: FakeResponder(log), lambda: (_ for _ in ()).throw(OSError("netlink")),
                     states.append)
    adv.step()
    assert log == []


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
    config = load_config(path="/dev/null", env={}, overrides={
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
    [adv] = agent_services(load_config(path="/dev/null", env={}, overrides=base))
    assert isinstance(adv, Advertiser) and adv.name == "discovery"
    [watch] = agent_services(load_config(path="/dev/null", env={},
                                         overrides={**base, "discovery.defer_to_avahi": True}))
    assert isinstance(watch, AvahiWatch)
    [off] = agent_services(load_config(path="/dev/null", env={}, overrides={**base, "discovery.enabled": False}))
    [local] = agent_services(load_config(path="/dev/null", env={}, overrides={**base, "web.host": "127.0.0.1"}))
    assert not isinstance(local, Advertiser) and "127.0.0.1" in local.reason
    [nginx] = agent_services(load_config(path="/dev/null", env={}, overrides={
        **base, "web.host": "127.0.0.1", "web.behind_nginx": True}))
    assert isinstance(nginx, Advertiser) and nginx.spec.port == 80
    from classbox.web.datadir import prepare_data_dir

    prepare_data_dir(load_config(path="/dev/null", env={}, overrides=base)).conn.close()
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
