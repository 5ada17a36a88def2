"""The agent: one process for everything that talks beyond the classroom.

Features contribute services through `agent_services(config)`; each service has a `name`
and a `run(stop)` method that returns soon after `stop` (a threading.Event) is set. The
agent runs each in a thread, records once that it started (which services, when), and on
SIGTERM or SIGINT sets `stop` and waits at most STOP_GRACE_S for the services to finish.
Whether it still runs is told by the health sampler's latest sample, kept in RAM: nothing is
written to the SD card to say "still alive".
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Protocol

from classbox import features
from classbox.config import Config
from classbox.runtime.systemd_notify import sd_notify
from classbox.storage import open_database
from classbox.storage.core import set_state

STOP_GRACE_S = 4.0

log = logging.getLogger("classbox.runtime.agent")


class AgentService(Protocol):
    """A long-running part of the agent."""

    name: str

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set, then return promptly."""


def start_services(config: Config, stop: threading.Event) -> tuple[list[AgentService], list[threading.Thread]]:
    """Start each feature's services in a thread as soon as the feature made them.

    A service thus starts while the next features' modules are still being imported: the
    advertiser's mDNS probing (≈ 0.9 s, mostly waiting) overlaps the rest of the start-up.
    If a feature fails to make its services (a ConfigError), those already started are stopped.
    """
    services: list[AgentService] = []
    threads: list[threading.Thread] = []
    try:
        for make in features.hooks("agent_services"):
            for service in make(config):
                thread = threading.Thread(target=_guarded, args=(service, stop), name=service.name, daemon=True)
                thread.start()
                services.append(service)
                threads.append(thread)
    except BaseException:
        stop.set()
        for thread in threads:
            thread.join(STOP_GRACE_S)
        raise
    return services, threads


def _guarded(service: AgentService, stop: threading.Event) -> None:
    """Run a service; a crash is logged and restarted after a pause, never fatal to the agent."""
    while not stop.is_set():
        try:
            service.run(stop)
            return
        except Exception:
            log.exception("agent service %s failed; restarting in 5 s", service.name)
            stop.wait(5.0)


def _record_start(config: Config, services: list[AgentService]) -> None:
    """Note once, at start, that the agent runs and with which services."""
    db = open_database(config.data_dir, durable=False)
    try:
        with db.conn:
            set_state(db, "agent", {"pid_alive": True, "monotonic": time.monotonic(),
                                    "wall_time": time.time(), "services": [s.name for s in services]})
    finally:
        db.conn.close()


def run_agent(config: Config, stop: threading.Event | None = None) -> int:
    """Run the agent until SIGTERM/SIGINT (or `stop` is set); return the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    services, threads = start_services(config, stop)
    log.info("agent started with services: %s", ", ".join(s.name for s in services) or "none")
    sd_notify("READY=1\nSTATUS=classbox agent running")
    try:
        _record_start(config, services)
    except Exception:
        log.exception("agent start could not be recorded")
    while not stop.wait(3600.0):  # the services work; this thread only waits for the signal
        pass
    sd_notify("STOPPING=1")
    deadline = time.monotonic() + STOP_GRACE_S
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        log.warning("services still running at exit: %s", ", ".join(stuck))
    log.info("agent stopped")
    return 0
