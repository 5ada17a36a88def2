"""Pi-like fixtures for the health readers: a fake psutil, files, commands and clocks."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from classbox.health.readers import Readers

CpuTimes = namedtuple("CpuTimes", "user nice system idle iowait irq softirq steal")
Mem = namedtuple("Mem", "total available percent used")
Swap = namedtuple("Swap", "total used free percent")
Disk = namedtuple("Disk", "total used free percent")
Io = namedtuple("Io", "read_bytes write_bytes")
Temp = namedtuple("Temp", "label current high critical")
IfStat = namedtuple("IfStat", "isup duplex speed mtu")

GB = 1024 ** 3


class FakePsutil:
    """A Raspberry Pi 4 (4 GB, 32 GB SD card) as psutil would see it; fields are settable."""

    def __init__(self) -> None:
        self.busy, self.idle = 100.0, 900.0
        self.written = 10_000_000
        self.mem_percent = 40.0
        self.disk_percent = 50.0
        self.temps: dict[str, list] | None = {"cpu_thermal": [Temp("", 55.5, None, None)]}
        self.ifaces = {"lo": IfStat(True, 0, 0, 65536), "eth0": IfStat(False, 0, 0, 1500),
                       "wlan0": IfStat(True, 0, 0, 1500)}
        self.raise_on: dict[str, Exception] = {}

    def _maybe_raise(self, name: str) -> None:
        if name in self.raise_on:
            raise self.raise_on[name]

    def cpu_times(self) -> CpuTimes:
        self._maybe_raise("cpu_times")
        return CpuTimes(self.busy, 0.0, 0.0, self.idle, 0.0, 0.0, 0.0, 0.0)

    def getloadavg(self) -> tuple[float, float, float]:
        self._maybe_raise("getloadavg")
        return (0.52, 0.31, 0.2)

    def virtual_memory(self) -> Mem:
        self._maybe_raise("virtual_memory")
        total = 4 * GB
        available = int(total * (1 - self.mem_percent / 100))
        return Mem(total, available, self.mem_percent, total - available)

    def swap_memory(self) -> Swap:
        self._maybe_raise("swap_memory")
        return Swap(100 * 1024 ** 2, 0, 100 * 1024 ** 2, 0.0)

    def disk_usage(self, path: str) -> Disk:
        self._maybe_raise("disk_usage")
        total = 32 * GB
        used = int(total * self.disk_percent / 100)
        return Disk(total, used, total - used, self.disk_percent)

    def disk_io_counters(self) -> Io:
        self._maybe_raise("disk_io_counters")
        return Io(0, self.written)

    def sensors_temperatures(self) -> dict[str, list]:
        self._maybe_raise("sensors_temperatures")
        return dict(self.temps or {})

    def net_if_stats(self) -> dict[str, IfStat]:
        self._maybe_raise("net_if_stats")
        return self.ifaces

    def boot_time(self) -> float:
        return 1_700_000_000.0


class Clock:
    """Wall and monotonic clocks that tests move by hand."""

    def __init__(self, wall: float = 1_790_000_000.0, monotonic: float = 1_000.0):
        self.now_wall, self.now_mono = wall, monotonic

    def advance(self, seconds: float) -> None:
        self.now_wall += seconds
        self.now_mono += seconds

    def wall(self) -> float:
        return self.now_wall

    def monotonic(self) -> float:
        return self.now_mono


def pi_readers(files: dict[str, str] | None = None, commands: dict[str, Any] | None = None,
               psutil: FakePsutil | None = None, clock: Clock | None = None) -> Readers:
    """Readers for a Pi-like box; `files` and `commands` add to or replace the defaults.

    A command mapped to an exception raises it; a missing file raises FileNotFoundError.
    """
    clock = clock or Clock()
    fs = {"/proc/uptime": "3600.25 7000.00\n", "/proc/sys/kernel/random/boot_id": "boot-1\n",
          "/run/systemd/timesync/synchronized": ""}
    fs.update(files or {})
    cmds: dict[str, Any] = {"vcgencmd get_throttled": "throttled=0x0\n"}
    cmds.update(commands or {})

    def read_text(path: str) -> str:
        if fs.get(path) is None:
            raise FileNotFoundError(path)
        return fs[path]

    def run(argv: list[str]) -> str:
        out = cmds.get(" ".join(argv), FileNotFoundError(argv[0]))
        if isinstance(out, BaseException):
            raise out
        return out

    def glob(pattern: str) -> list[str]:
        prefix = pattern.split("*")[0]
        return sorted(p for p in fs if p.startswith(prefix) and p.endswith(pattern.rsplit("*", 1)[1])
                      and fs[p] is not None)

    readers = Readers(psutil=psutil or FakePsutil(), read_text=read_text,
                      exists=lambda p: fs.get(p) is not None, glob=glob, run=run,
                      wall=clock.wall, monotonic=clock.monotonic)
    readers.fs = fs  # tests change files between samples
    return readers
