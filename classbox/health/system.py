"""System metrics of one sample: CPU, load, memory, swap, disk, SD writes, sensors, network."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from classbox.health.readers import Readers
from classbox.health.readers import pi

log = logging.getLogger("classbox.health")


@dataclass
class Counters:
    """Previous cumulative readings, for rates between two samples."""

    cpu_busy: float | None = None
    cpu_total: float | None = None
    written_bytes: int | None = None
    at_monotonic: float | None = None
    latched: dict[str, bool] = field(default_factory=dict)


def guarded(errors: dict[str, str], name: str, read: Callable[[], Any]) -> Any:
    """Call one reader; a failure becomes None and a line in `errors`, never an exception."""
    try:
        return read()
    except Exception as err:  # a sensor that raises must not stop the sample
        errors[name] = f"{type(err).__name__}: {err}"[:200]
        log.debug("health reader %s failed: %s", name, err)
        return None


def _cpu(readers: Readers, counters: Counters) -> float | None:
    """CPU use in percent since the previous sample (None on the first one)."""
    times = readers.psutil.cpu_times()
    idle = getattr(times, "idle", 0.0) + getattr(times, "iowait", 0.0)
    # guest time is already counted in user/nice on Linux (as psutil.cpu_percent does)
    total = float(sum(times)) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    busy = total - idle
    percent = None
    if counters.cpu_total is not None and total > counters.cpu_total:
        percent = round(100.0 * (busy - counters.cpu_busy) / (total - counters.cpu_total), 2)
        percent = min(100.0, max(0.0, percent))
    counters.cpu_busy, counters.cpu_total = busy, total
    return percent


def _writes(readers: Readers, counters: Counters, now: float) -> dict[str, Any]:
    """Bytes written to disks since boot, and the rate since the previous sample."""
    io = readers.psutil.disk_io_counters()
    written = int(io.write_bytes)
    rate = None
    if counters.written_bytes is not None and counters.at_monotonic is not None:
        elapsed = now - counters.at_monotonic
        if elapsed > 0 and written >= counters.written_bytes:
            rate = round((written - counters.written_bytes) / elapsed, 1)
    counters.written_bytes, counters.at_monotonic = written, now
    return {"written_bytes": written, "write_bytes_per_second": rate}


def _memory(readers: Readers) -> dict[str, Any]:
    mem = readers.psutil.virtual_memory()
    return {"total_bytes": int(mem.total), "available_bytes": int(mem.available),
            "used_bytes": int(mem.total - mem.available), "percent": float(mem.percent)}


def _swap(readers: Readers) -> dict[str, Any]:
    swap = readers.psutil.swap_memory()
    return {"total_bytes": int(swap.total), "used_bytes": int(swap.used), "percent": float(swap.percent)}


def _disk(readers: Readers, path: str) -> dict[str, Any]:
    usage = readers.psutil.disk_usage(path)
    return {"path": path, "total_bytes": int(usage.total), "used_bytes": int(usage.used),
            "free_bytes": int(usage.free), "percent": float(usage.percent)}


def _interfaces(readers: Readers) -> list[str]:
    """Names of the network interfaces that are up (loopback excluded)."""
    stats = readers.psutil.net_if_stats()
    return sorted(name for name, st in stats.items() if st.isup and name != "lo")


def _throttling(readers: Readers, counters: Counters) -> dict[str, Any] | None:
    """Throttling flags, with under-voltage and throttling latched for this boot."""
    flags = pi.throttling(readers)
    if flags is None:
        return None
    for name, seen in flags["since_boot"].items():
        counters.latched[name] = counters.latched.get(name, False) or seen or flags["now"][name]
    return {"now": flags["now"], "since_boot": dict(counters.latched)}


def sample_system(readers: Readers, counters: Counters, disk_path: str) -> tuple[dict[str, Any], dict[str, str]]:
    """One reading of every system metric; unreadable ones are None with a reason in errors."""
    errors: dict[str, str] = {}
    now = readers.monotonic()
    load = guarded(errors, "load", readers.psutil.getloadavg)
    system = {
        "cpu_percent": guarded(errors, "cpu", lambda: _cpu(readers, counters)),
        "load": None if load is None else [round(float(x), 2) for x in load],
        "memory": guarded(errors, "memory", lambda: _memory(readers)),
        "swap": guarded(errors, "swap", lambda: _swap(readers)),
        "disk": guarded(errors, "disk", lambda: _disk(readers, disk_path)),
        "io": guarded(errors, "io", lambda: _writes(readers, counters, now)),
        "temperature_celsius": guarded(errors, "temperature", lambda: pi.temperature_celsius(readers)),
        "throttling": guarded(errors, "throttling", lambda: _throttling(readers, counters)),
        "uptime_seconds": guarded(errors, "uptime", lambda: pi.uptime_seconds(readers)),
        "clock_synced": guarded(errors, "clock", lambda: pi.clock_synced(readers)),
        "interfaces_up": guarded(errors, "interfaces", lambda: _interfaces(readers)),
    }
    return system, errors
