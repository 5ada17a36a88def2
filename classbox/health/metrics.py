"""Prometheus exposition of the latest sample: classbox_* names in base units."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from classbox.health.alerts import RANK

THROTTLE_FLAGS = ("under_voltage", "freq_capped", "throttled", "soft_temp_limit")


def _gauge(name: str, doc: str, value: Any, unit: str = "") -> Iterator[Metric]:
    """One unlabelled gauge, skipped when the value is unknown."""
    if isinstance(value, bool):
        value = float(value)
    if isinstance(value, (int, float)):
        family = GaugeMetricFamily(name, doc, unit=unit)
        family.add_metric([], float(value))
        yield family


def _labelled(name: str, doc: str, label: str, values: dict[str, Any]) -> Iterator[Metric]:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        if isinstance(value, (int, float)):
            family.add_metric([str(key)], float(value))
    yield family


def system_metrics(system: dict[str, Any]) -> Iterator[Metric]:
    """CPU, load, memory, swap, disk, I/O, temperature, power, uptime, clock, interfaces."""
    cpu = system.get("cpu_percent")
    yield from _gauge("classbox_cpu_usage_ratio", "CPU use between the last two samples (0-1).",
                      None if cpu is None else cpu / 100)
    if system.get("load"):
        yield from _labelled("classbox_load_average", "System load average.", "period",
                             dict(zip(("1m", "5m", "15m"), system["load"])))
    for part, prefix in (("memory", "classbox_memory"), ("swap", "classbox_swap")):
        data = system.get(part) or {}
        yield from _gauge(f"{prefix}_total_bytes", f"Total {part}.", data.get("total_bytes"))
        yield from _gauge(f"{prefix}_used_bytes", f"{part.capitalize()} in use.", data.get("used_bytes"))
    disk = system.get("disk") or {}
    for key in ("total", "used", "free"):
        yield from _gauge(f"classbox_data_disk_{key}_bytes", f"{key.capitalize()} space of the data dir's disk.",
                          disk.get(f"{key}_bytes"))
    io = system.get("io") or {}
    if isinstance(io.get("written_bytes"), int):
        counter = CounterMetricFamily("classbox_disk_written_bytes", "Bytes written to disks since boot.")
        counter.add_metric([], float(io["written_bytes"]))
        yield counter
    yield from _gauge("classbox_disk_write_rate_bytes_per_second", "Disk write rate between the last two samples.",
                      io.get("write_bytes_per_second"))
    yield from _gauge("classbox_temperature_celsius", "CPU/SoC temperature.", system.get("temperature_celsius"))
    flags = system.get("throttling")
    if flags:
        for when, name in (("now", "classbox_power_flag"), ("since_boot", "classbox_power_flag_since_boot")):
            yield from _labelled(name, f"Raspberry Pi power/throttling flags ({when}), 1 when set.", "flag",
                                 {f: float(bool(flags[when].get(f))) for f in THROTTLE_FLAGS})
    yield from _gauge("classbox_uptime_seconds", "Seconds since the system booted.", system.get("uptime_seconds"))
    yield from _gauge("classbox_clock_synced", "1 when the clock is NTP-synchronised.", system.get("clock_synced"))
    if system.get("interfaces_up") is not None:
        yield from _labelled("classbox_interface_up", "Network interfaces that are up.", "interface",
                             {name: 1.0 for name in system["interfaces_up"]})


def app_metrics(app: dict[str, Any]) -> Iterator[Metric]:
    """Classroom, outbox, sync, backup, discovery, sizes."""
    live = app.get("classroom") or {}
    yield from _gauge("classbox_pupils_connected", "Pupils connected now.", live.get("pupils"))
    yield from _gauge("classbox_teachers_connected", "Teachers connected now.", live.get("teachers"))
    yield from _gauge("classbox_sessions_open", "Class sessions open now.", live.get("sessions"))
    targets = (app.get("outbox") or {}).get("targets")
    if targets is not None:
        yield from _labelled("classbox_outbox_pending", "Records waiting for delivery.", "target",
                             {t: v.get("pending", 0) for t, v in targets.items()})
        yield from _labelled("classbox_outbox_dead", "Dead records: refused by the remote, or abandoned after "
                             "repeated agent crashes (to replay).", "target",
                             {t: v.get("dead", 0) for t, v in targets.items()})
        yield from _labelled("classbox_outbox_oldest_pending_age_seconds", "Age of the oldest pending record.",
                             "target", {t: v.get("oldest_pending_age_seconds") for t, v in targets.items()})
    yield from _gauge("classbox_sync_last_success_timestamp_seconds", "When a sync last succeeded (Unix time).",
                      (app.get("sync") or {}).get("last_success_wall"))
    yield from _gauge("classbox_backup_last_timestamp_seconds", "When the database was last backed up.",
                      (app.get("backup") or {}).get("wall_time"))
    yield from _gauge("classbox_mdns_announcing", "1 when the mDNS advertiser announces the box.",
                      (app.get("discovery") or {}).get("announcing"))
    sizes = app.get("sizes") or {}
    yield from _gauge("classbox_library_size_bytes", "Library files (blobs and ZIM).", sizes.get("library_bytes"))
    yield from _gauge("classbox_database_size_bytes", "Database with its WAL.", sizes.get("database_bytes"))
    tls = app.get("tls") or {}
    yield from _gauge("classbox_tls_certificate_expiry_timestamp_seconds",
                      "When the HTTPS certificate nginx serves ends (Unix time).", tls.get("not_after"))
    if tls.get("issuer") is not None:
        info = InfoMetricFamily("classbox_tls_certificate", "The HTTPS certificate nginx serves.")
        info.add_metric([], {"issuer": tls["issuer"], "names": ",".join(tls["names"])})
        yield info
    integrity = app.get("db_integrity")
    yield from _gauge("classbox_database_integrity_ok", "1 when the last integrity check passed.",
                      None if integrity is None else integrity["ok"])


class ReportCollector(Collector):
    """Reads the health report at scrape time (no process-global metric objects)."""

    def __init__(self, report: Callable[[], dict[str, Any]]):
        self.report = report

    def collect(self) -> Iterator[Metric]:
        """Every classbox_* family for the current report."""
        report = self.report()
        info = InfoMetricFamily("classbox_build", "Version and identity of the box.")
        box = report["box"]
        info.add_metric([], {"version": report["version"], "box_id": box["id"],
                             "uai": box["school_uai"], "academie": box["academie"]})
        yield info
        yield from _labelled("classbox_alert_level", "Alert level per check: 0 ok, 1 warn, 2 critical.", "alert",
                             {a["id"]: RANK[a["level"]] for a in report.get("alerts") or []})
        yield from _gauge("classbox_status_level", "Overall status: 0 ok, 1 warn, 2 critical.", RANK[report["status"]])
        sample = report.get("sample")
        if sample:
            yield from _gauge("classbox_sample_timestamp_seconds", "When the latest sample was taken.", sample["wall"])
            yield from system_metrics(sample.get("system") or {})
            yield from app_metrics(sample.get("app") or {})


def registry_for(report: Callable[[], dict[str, Any]]) -> CollectorRegistry:
    """A private registry holding only the classbox collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReportCollector(report))
    return registry


def exposition(report: dict[str, Any]) -> bytes:
    """The Prometheus text format of one report."""
    return generate_latest(registry_for(lambda: report))
