"""What an acked answer costs the card: the sectors of its journal record, not a 4 KB page; as durable.

The device cases are peers: root, a loop device and mkfs.ext4 (benchmarks/idle_writes.py's file
system: 4 KB blocks, as on a box's SD card). Its counter (/sys/block/loopN/stat) is every byte the
kernel sent for the data dir."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from classbox.storage import journal as answer_journal
from classbox.storage import journal_sectors
from classbox.storage.writer import GroupWriter
from classbox.web.datadir import prepare_data_dir
from tests.helpers import make_config
from tests.storage.test_idle_writes_bench import _need_loop_devices
from tests.storage.test_journal import _answer, _keys, _power_cut, data_dir  # noqa: F401 (data_dir: a fixture)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from idle_box import data_filesystem, device_written  # noqa: E402


@pytest.fixture
def card(tmp_path):
    """A data dir on an ext4 file system of its own (4 KB blocks): (data dir, loop device name)."""
    _need_loop_devices()
    with data_filesystem(tmp_path, use_loop=True) as (folder, device):
        data = folder / "data"
        prepare_data_dir(make_config(data)).conn.close()
        yield data, device


@pytest.mark.peer
def test_thirty_acked_answers_send_the_card_their_sectors_not_a_page_each(card, monkeypatch):
    data, device = card
    synced: list[int] = []
    real = os.fdatasync
    monkeypatch.setattr(answer_journal.os, "fdatasync", lambda fd: (real(fd), synced.append(fd)))
    writer = GroupWriter(data, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_answer("warm-up"), journaled=True)
    os.sync()  # what the start wrote is out of the way
    before, synced_before = device_written(device), len(synced)
    for n in range(30):
        writer.run(_answer(f"pupil-{n}"), journaled=True)  # one at a time: each ack its own fdatasync
    sent = device_written(device) - before
    assert len(synced) - synced_before == 30  # as durable as before: each ack after its own fdatasync
    assert sent <= 30 * 1024 + 32 * 1024, f"{sent} bytes for 30 acks (a 4 KB page each would be {30 * 4096})"
    writer.settle()
    assert {f"pupil-{n}" for n in range(30)} <= _keys(data)
    writer.close()


@pytest.mark.peer
def test_answers_acked_by_sector_writes_are_all_in_the_database_after_a_power_cut(card, tmp_path):
    """The cut at the block layer: the card's image as the device received it (what the file system
    sent and flushed), not the files through the page cache; then the box starts again on it."""
    data, _ = card
    writer = GroupWriter(data, journal=True, settle_s=3600, max_pending_s=3600)
    keys = [f"k{n}" for n in range(40)]  # about a dozen records per 4 KB block, several per sector
    for key in keys:
        writer.run(_answer(key), journaled=True)
    image = tmp_path / "cut.img"
    shutil.copyfile(tmp_path / "data.img", image)  # the plug pulled right after the 40th ack
    writer.close()
    mounted = tmp_path / "after-the-cut"
    mounted.mkdir()
    device = subprocess.run(["losetup", "-f", "--show", str(image)], check=True, capture_output=True,
                            text=True).stdout.strip()
    try:
        subprocess.run(["mount", device, str(mounted)], check=True)  # ext4 replays its own journal
        try:
            assert answer_journal.recover_data_dir(mounted / "data")[0] == len(keys)
            assert set(keys) <= _keys(mounted / "data")
        finally:
            subprocess.run(["umount", str(mounted)], check=True)
    finally:
        subprocess.run(["losetup", "-d", device], check=False)


def test_where_o_direct_is_refused_the_journal_writes_pages_and_loses_nothing(data_dir, monkeypatch, tmp_path):
    real_open = os.open

    def no_direct(path, flags, *args):
        if flags & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")  # as tmpfs before Linux 6.6
        return real_open(path, flags, *args)

    monkeypatch.setattr(journal_sectors.os, "open", no_direct)
    _acked_then_cut(data_dir, tmp_path)


def test_a_device_with_4_kb_sectors_gets_4_kb_direct_writes_and_loses_nothing(data_dir, monkeypatch, tmp_path):
    real = os.pwritev
    sizes: list[int] = []

    def four_k_sectors(fd, buffers, offset):
        length = sum(len(b) for b in buffers)
        if offset % 4096 or length % 4096:
            raise OSError(errno.EINVAL, "Invalid argument")  # O_DIRECT below the device's sector
        sizes.append(length)
        return real(fd, buffers, offset)

    monkeypatch.setattr(journal_sectors.os, "pwritev", four_k_sectors)
    _acked_then_cut(data_dir, tmp_path)
    assert sizes and set(sizes) == {4096}


def _acked_then_cut(data_dir, tmp_path) -> None:
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    keys = [f"k{n}" for n in range(30)]
    for key in keys:
        writer.run(_answer(key), journaled=True)
    cut = _power_cut(data_dir, tmp_path / "cut")
    writer.close()
    assert answer_journal.recover_data_dir(cut)[0] == len(keys) and set(keys) <= _keys(cut)
