"""The advertiser's logic with an injected address list and a fake responder."""

from __future__ import annotations

import threading

from classbox.discovery.advertiser import Advertiser
from classbox.discovery.responder import ServiceSpec

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


def started(**responder):
    """An advertiser on 10.0.0.5 after its first step: (advertiser, what it asked, what it recorded)."""
    log, states = [], []
    adv, _ = make(["10.0.0.5"], log, states, **responder)
    adv.step()
    return adv, log, states


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
    _, _, states = started(taken=1)
    assert states[-1]["instance"] == "Classbox Test-2"
    assert "name conflict" in caplog.text and "Classbox Test-2" in caplog.text


def test_conflict_after_start_renames(caplog):
    adv, log, states = started()
    adv._responder.conflict = True
    adv.step()
    assert log[-1] == ("rename",)
    assert states[-1]["instance"] == "Classbox Test-2" and states[-1]["announcing"] is True
    assert "name conflict" in caplog.text


def test_a_challenged_name_is_defended(caplog):
    adv, log, states = started()
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
