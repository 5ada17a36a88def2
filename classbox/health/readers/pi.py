"""Raspberry Pi (and generic Linux) sensors: temperature, throttling, uptime, clock sync."""

from __future__ import annotations

from classbox.health.readers import Readers

THERMAL_ZONE = "/sys/class/thermal/thermal_zone0/temp"
TIMESYNC_FLAG = "/run/systemd/timesync/synchronized"
PI_SENSORS = ("cpu_thermal", "cpu-thermal", "coretemp", "k10temp", "soc_thermal", "acpitz")

# Bits of `vcgencmd get_throttled`: (now, since boot).
THROTTLE_BITS = {
    "under_voltage": (0, 16),
    "freq_capped": (1, 17),
    "throttled": (2, 18),
    "soft_temp_limit": (3, 19),
}


def temperature_celsius(readers: Readers) -> float | None:
    """The SoC/CPU temperature: psutil's sensors first, then thermal_zone0."""
    sensors = getattr(readers.psutil, "sensors_temperatures", None)
    if sensors is not None:
        try:
            found = sensors() or {}
        except Exception:
            found = {}
        for name in PI_SENSORS:
            entries = found.get(name) or []
            values = [e.current for e in entries if getattr(e, "current", None) is not None]
            if values:
                return float(max(values))
    try:
        text = readers.read_text(THERMAL_ZONE).strip()
    except OSError:
        return None
    try:
        return int(text) / 1000.0
    except ValueError:
        return None


def parse_throttled(text: str) -> dict[str, dict[str, bool]]:
    """Decode `throttled=0x50005` into {"now": {...}, "since_boot": {...}}."""
    _, _, value = text.strip().partition("=")
    bits = int(value.strip() or text.strip(), 16)
    return {
        "now": {name: bool(bits >> now & 1) for name, (now, _) in THROTTLE_BITS.items()},
        "since_boot": {name: bool(bits >> past & 1) for name, (_, past) in THROTTLE_BITS.items()},
    }


def hwmon_under_voltage(readers: Readers) -> bool | None:
    """The rpi_volt hwmon alarm (newer kernels), None when there is no such sensor."""
    for name_file in readers.glob("/sys/class/hwmon/hwmon*/name"):
        try:
            if readers.read_text(name_file).strip() != "rpi_volt":
                continue
            alarm = readers.read_text(name_file.rsplit("/", 1)[0] + "/in0_lcrit_alarm").strip()
        except OSError:
            continue
        return alarm == "1"
    return None


def throttling(readers: Readers) -> dict[str, dict[str, bool]] | None:
    """Under-voltage and throttling now and since boot, or None when the box cannot tell."""
    try:
        return parse_throttled(readers.run(["vcgencmd", "get_throttled"]))
    except Exception:  # not a Pi, no firmware access, odd output, timeout
        pass
    alarm = hwmon_under_voltage(readers)
    if alarm is None:
        return None
    flags = {name: False for name in THROTTLE_BITS}
    return {"now": dict(flags, under_voltage=alarm), "since_boot": dict(flags, under_voltage=alarm)}


def uptime_seconds(readers: Readers) -> float | None:
    """Seconds since boot, from /proc/uptime (immune to wall-clock jumps) or psutil."""
    try:
        return float(readers.read_text("/proc/uptime").split()[0])
    except (OSError, ValueError, IndexError):
        pass
    try:
        return max(0.0, readers.wall() - float(readers.psutil.boot_time()))
    except Exception:
        return None


def clock_synced(readers: Readers) -> bool:
    """Whether systemd-timesyncd says the clock is synchronised."""
    return bool(readers.exists(TIMESYNC_FLAG))


def boot_id(readers: Readers) -> str:
    """This boot's id ("" when unknown)."""
    try:
        return readers.read_text("/proc/sys/kernel/random/boot_id").strip()
    except OSError:
        return ""
