"""The sampler reads a Pi-like box through injected readers, and survives missing or failing ones."""

from __future__ import annotations

import json
import time

from classbox.health.readers.pi import parse_throttled
from classbox.health.sampler import Sampler
from classbox.storage.core import set_state
from classbox.sync.outbox import enqueue

from tests.health.fakes import Temp, pi_readers


def test_pi_like_box_is_read_fully(db, sampler, fake_psutil, clock):
    sampler.sample(db)
    fake_psutil.busy += 15.0
    fake_psutil.idle += 45.0
    fake_psutil.written += 6_000_000
    clock.advance(60)
    sample = sampler.sample(db)
    system = sample["system"]
    assert system["cpu_percent"] == 25.0
    assert system["io"]["write_bytes_per_second"] == 100_000.0
    assert system["temperature_celsius"] == 55.5
    assert system["load"] == [0.52, 0.31, 0.2]
    assert system["memory"]["percent"] == 40.0
    assert system["disk"]["percent"] == 50.0 and system["disk"]["total_bytes"] == 32 * 1024 ** 3
    assert system["uptime_seconds"] == 3600.25
    assert system["clock_synced"] is True
    assert system["interfaces_up"] == ["wlan0"]
    assert system["throttling"]["now"]["under_voltage"] is False
    assert sample["errors"] == {}
    assert sample["wall"] == clock.wall()


def test_first_sample_has_no_rates(db, sampler):
    system = sampler.sample(db)["system"]
    assert system["cpu_percent"] is None
    assert system["io"]["write_bytes_per_second"] is None


def test_vcgencmd_bits_decoded():
    flags = parse_throttled("throttled=0x50005\n")
    assert flags["now"] == {"under_voltage": True, "freq_capped": False, "throttled": True,
                            "soft_temp_limit": False}
    assert flags["since_boot"]["under_voltage"] and flags["since_boot"]["throttled"]
    assert not flags["since_boot"]["freq_capped"]


def test_under_voltage_reported_by_vcgencmd(db, config, clock):
    readers = pi_readers(commands={"vcgencmd get_throttled": "throttled=0x50005\n"}, clock=clock)
    throttling = Sampler(config, readers).sample(db)["system"]["throttling"]
    assert throttling["now"]["under_voltage"] and throttling["since_boot"]["under_voltage"]


def test_hwmon_alarm_is_latched_for_the_boot(db, config, clock):
    files = {"/sys/class/hwmon/hwmon0/name": "cpu_thermal\n", "/sys/class/hwmon/hwmon1/name": "rpi_volt\n",
             "/sys/class/hwmon/hwmon1/in0_lcrit_alarm": "1\n"}
    readers = pi_readers(files=files, commands={"vcgencmd get_throttled": FileNotFoundError("vcgencmd")},
                         clock=clock)
    sampler = Sampler(config, readers)
    first = sampler.sample(db)["system"]["throttling"]
    assert first["now"]["under_voltage"] is True
    readers.fs["/sys/class/hwmon/hwmon1/in0_lcrit_alarm"] = "0\n"
    second = sampler.sample(db)["system"]["throttling"]
    assert second["now"]["under_voltage"] is False
    assert second["since_boot"]["under_voltage"] is True


def test_thermal_zone_fallback(db, config, fake_psutil, clock):
    fake_psutil.temps = {}
    readers = pi_readers(files={"/sys/class/thermal/thermal_zone0/temp": "48312\n"}, psutil=fake_psutil,
                         clock=clock)
    assert Sampler(config, readers).sample(db)["system"]["temperature_celsius"] == 48.312


def test_dash_named_pi_sensor(db, config, fake_psutil, clock):
    fake_psutil.temps = {"cpu-thermal": [Temp("", 71.0, None, None)]}
    sample = Sampler(config, pi_readers(psutil=fake_psutil, clock=clock)).sample(db)
    assert sample["system"]["temperature_celsius"] == 71.0


def test_pc_without_pi_sensors(db, config, fake_psutil, clock):
    """A recycled PC: no thermal zone, no vcgencmd, no hwmon, no timesync flag."""
    fake_psutil.temps = {}
    readers = pi_readers(files={"/run/systemd/timesync/synchronized": None},
                         commands={"vcgencmd get_throttled": FileNotFoundError("vcgencmd")},
                         psutil=fake_psutil, clock=clock)
    sample = Sampler(config, readers).sample(db)
    assert sample["system"]["temperature_celsius"] is None
    assert sample["system"]["throttling"] is None
    assert sample["system"]["clock_synced"] is False
    assert sample["errors"] == {}


def test_readers_that_raise_leave_gaps_not_crashes(db, config, fake_psutil, clock):
    fake_psutil.raise_on = {"virtual_memory": RuntimeError("boom"), "disk_usage": OSError(5, "I/O error"),
                            "sensors_temperatures": RuntimeError("driver"), "cpu_times": OSError("proc")}
    readers = pi_readers(psutil=fake_psutil, clock=clock,
                         commands={"vcgencmd get_throttled": TimeoutError("hung")},
                         files={"/proc/uptime": "garbage"})
    sample = Sampler(config, readers).sample(db)
    system = sample["system"]
    assert system["memory"] is None and system["disk"] is None and system["cpu_percent"] is None
    assert set(sample["errors"]) >= {"memory", "disk", "cpu"}
    assert "I/O error" in sample["errors"]["disk"]
    assert system["temperature_celsius"] is None  # no thermal zone file either
    assert system["throttling"] is None
    assert system["uptime_seconds"] > 0  # fell back to psutil.boot_time()
    json.dumps(sample)  # still storable


def test_odd_vcgencmd_output_is_ignored(db, config, clock):
    readers = pi_readers(commands={"vcgencmd get_throttled": "VCHI initialization failed\n"}, clock=clock)
    sample = Sampler(config, readers).sample(db)
    assert sample["system"]["throttling"] is None


def test_app_state_from_other_features(db, sampler, clock):
    with db.conn:
        set_state(db, "classroom.live", {"pupils": 27, "teachers": 1, "sessions": 1})
        set_state(db, "sync.status", {"last_success": clock.wall() - 600, "clock": {"known": True},
                                      "targets": {"lrs": {"last_success": clock.wall() - 600},
                                                  "ent": {"last_success": clock.wall() - 60}}})
        set_state(db, "last_backup", {"path": "/b.db", "size": 1234, "wall_time": clock.wall() - 86400})
        set_state(db, "discovery", {"announcing": True, "addresses": ["192.168.1.2"]})
    app = sampler.sample(db)["app"]
    assert app["classroom"] == {"pupils": 27, "teachers": 1, "sessions": 1}
    assert app["sync"]["last_success_wall"] == clock.wall() - 60
    assert app["sync"]["clock_known"] is True
    assert app["backup"] == {"wall_time": clock.wall() - 86400, "size_bytes": 1234}
    assert app["discovery"] == {"announcing": True}


def test_hostile_state_from_other_features(db, sampler):
    with db.conn:
        set_state(db, "classroom.live", {"pupils": "lots", "teachers": -3, "sessions": True})
        set_state(db, "sync.status", ["not", "a", "dict"])
        set_state(db, "last_backup", "yesterday")
        db.execute("INSERT INTO box_state (key, value) VALUES ('discovery', '{not json')")
    app = sampler.sample(db)["app"]
    assert app["classroom"] == {"pupils": None, "teachers": None, "sessions": None}
    assert app["sync"]["last_success_wall"] is None
    assert app["backup"]["wall_time"] is None
    assert app["discovery"] == {"announcing": None}


def test_outbox_depth_age_and_dead_per_target(db, sampler, clock):
    with db.conn:
        enqueue(db, "xapi", "lrs", {"n": 1}, "k1")
        enqueue(db, "xapi", "lrs", {"n": 2}, "k2")
        enqueue(db, "webdav", "ent", {"n": 3}, "k3")
        enqueue(db, "webdav", "ent", {"n": 4}, "k4")
        # k1 was queued in an earlier boot two days ago; k3 in this boot, ten minutes ago
        db.execute("UPDATE outbox SET boot_id = 'old-boot', created_wall = ? WHERE idempotency_key = 'k1'",
                   [clock.wall() - 2 * 86400])
        db.execute("UPDATE outbox SET boot_id = 'boot-1', created_monotonic = ?, created_wall = 0 "
                   "WHERE idempotency_key = 'k3'", [clock.monotonic() - 600])
        db.execute("UPDATE outbox SET state = 'dead' WHERE idempotency_key = 'k4'")
    outbox = sampler.sample(db)["app"]["outbox"]
    assert outbox["pending"] == 3 and outbox["dead"] == 1
    assert outbox["targets"]["lrs"]["pending"] == 2
    assert outbox["targets"]["lrs"]["oldest_pending_age_seconds"] == 2 * 86400
    assert outbox["targets"]["ent"] == {"pending": 1, "dead": 1, "oldest_pending_age_seconds": 600}


def test_sizes_of_library_and_database(db, config, sampler):
    blob = config.data_dir / "blobs" / "ab" / "cd"
    blob.mkdir(parents=True)
    (blob / ("abcd" + "0" * 60)).write_bytes(b"x" * 5000)
    (config.data_dir / "zim").mkdir()
    (config.data_dir / "zim" / "wiki.zim").write_bytes(b"z" * 7000)
    sizes = sampler.sample(db)["app"]["sizes"]
    assert sizes["library_bytes"] == 12000
    assert sizes["database_bytes"] >= (config.data_dir / "classbox.db").stat().st_size > 0


def test_costly_readings_are_cached(db, config, readers, clock):
    calls = []
    sampler = Sampler(config, readers, integrity=lambda d: calls.append(d) or [])
    for _ in range(3):
        sampler.sample(db)
        clock.advance(60)
    assert len(calls) == 1
    clock.advance(config["health"]["integrity_interval_h"] * 3600)
    sampler.sample(db)
    assert len(calls) == 2


def test_real_readers_on_this_machine(db, config):
    """The default readers work on a plain Linux machine (no Pi sensors needed)."""
    sampler = Sampler(config)
    sampler.sample(db)
    time.sleep(0.05)
    sample = sampler.sample(db)
    assert sample["system"]["memory"]["total_bytes"] > 0
    assert sample["system"]["disk"]["total_bytes"] > 0
    assert sample["system"]["uptime_seconds"] > 0


def test_latched_under_voltage_survives_an_agent_restart(db, config, clock):
    from contextlib import closing

    from classbox.health.service import HealthService

    files = {"/sys/class/hwmon/hwmon1/name": "rpi_volt\n", "/sys/class/hwmon/hwmon1/in0_lcrit_alarm": "1\n"}
    no_vcgencmd = {"vcgencmd get_throttled": FileNotFoundError("vcgencmd")}
    with closing(HealthService(config, pi_readers(files=files, commands=no_vcgencmd, clock=clock))) as first:
        first.tick(db)
    files["/sys/class/hwmon/hwmon1/in0_lcrit_alarm"] = "0\n"
    clock.advance(60)
    with closing(HealthService(config, pi_readers(files=files, commands=no_vcgencmd, clock=clock))) as restarted:
        assert restarted.tick(db)["system"]["throttling"]["since_boot"]["under_voltage"] is True
    files["/proc/sys/kernel/random/boot_id"] = "boot-2\n"
    clock.advance(60)
    with closing(HealthService(config, pi_readers(files=files, commands=no_vcgencmd, clock=clock))) as after_reboot:
        assert after_reboot.tick(db)["system"]["throttling"]["since_boot"]["under_voltage"] is False
