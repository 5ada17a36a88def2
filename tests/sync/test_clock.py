"""The clock: anchors from Date headers and timesyncd, corrected and flagged timestamps."""

from __future__ import annotations

import email.utils

from classbox.sync.clock import Clock
from tests.sync.conftest import synced_config

YEAR = 365 * 86400
TRUE_NOW = 1_800_000_000.0


def http_date(epoch: float) -> str:
    return email.utils.formatdate(epoch, usegmt=True)


def test_records_of_a_boot_are_dated_from_its_anchor_not_the_wall_clock(tmp_path, open_db):
    db = open_db(synced_config(tmp_path).data_dir)
    # the box booted a year behind; monotonic time 100 s at boot + 100
    clock = Clock(db, boot_id="boot-a", monotonic=lambda: 200.0, wall=lambda: TRUE_NOW - YEAR,
                  timesync_flag=str(tmp_path / "none"))
    before = clock.date(TRUE_NOW - YEAR - 50, 150.0, "boot-a")
    assert not before.anchored  # nothing known yet: wall time kept, flagged
    assert clock.observe_date(http_date(TRUE_NOW), 199.0, 201.0)
    dated = clock.date(TRUE_NOW - YEAR - 50, 150.0, "boot-a")
    assert dated.anchored and dated.before_known
    assert abs(dated.epoch - (TRUE_NOW - 50)) <= 1.0
    assert abs(clock.offset_s() - YEAR) <= 1.0
    # the anchor is stored: another process of the same boot dates records the same way
    again = Clock(db, boot_id="boot-a", monotonic=lambda: 300.0, wall=lambda: 0.0)
    assert again.date(None, 150.0, "boot-a") == dated


def test_records_of_another_boot_without_anchor_stay_flagged(tmp_path, open_db):
    db = open_db(synced_config(tmp_path).data_dir)
    clock = Clock(db, boot_id="boot-b", monotonic=lambda: 10.0, wall=lambda: TRUE_NOW,
                  timesync_flag=str(tmp_path / "none"))
    clock.observe_date(http_date(TRUE_NOW), 10.0, 10.0)
    old = clock.date(1000.0, 5.0, "boot-a")
    assert old.epoch == 1000.0 and not old.anchored


def test_timesyncd_anchors_first_and_a_far_off_date_header_wins(tmp_path, open_db):
    flag = tmp_path / "synchronized"
    flag.write_text("")
    db = open_db(synced_config(tmp_path).data_dir)
    clock = Clock(db, boot_id="boot-c", monotonic=lambda: 50.0, wall=lambda: TRUE_NOW,
                  timesync_flag=str(flag))
    assert clock.check_timesyncd() and clock.known()
    assert clock.date(TRUE_NOW - 10, 40.0, "boot-c").epoch == TRUE_NOW - 10
    clock.observe_date(http_date(TRUE_NOW + 5), 50.0, 50.0)  # within trust: timesyncd kept
    assert clock.state["boots"]["boot-c"]["source"] == "timesyncd"
    clock.observe_date(http_date(TRUE_NOW + YEAR), 50.0, 50.0)
    assert clock.state["boots"]["boot-c"]["source"] == "date-header"


def test_unreadable_date_headers_are_ignored(tmp_path, open_db):
    db = open_db(synced_config(tmp_path).data_dir)
    clock = Clock(db, boot_id="boot-d", timesync_flag=str(tmp_path / "none"))
    for value in (None, "", "yesterday", "Wed, 99 Foo 2026 25:61:00", "2026-11-25T10:00:00"):
        assert not clock.observe_date(value, 1.0, 1.0)
    assert not clock.known()
