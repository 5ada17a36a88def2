"""The answer journal on the card: appends that cost one data block, and what a cut leaves readable."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib

import pytest

from classbox.storage import journal as answer_journal
from classbox.storage import journal_codec
from classbox.storage.writer import GroupWriter
from tests.storage.test_journal import _answer, _keys, _power_cut, data_dir  # noqa: F401 (data_dir: a fixture)

ANSWER = [  # an answer's rows as the classroom journals them (a submission and its xAPI statement)
    ["classroom_submissions", ["id", "session_id", "activity_id", "pupil_id", "answer", "correct", "file_path",
                               "file_mime", "file_size", "file_sha256", "created_wall", "seq"],
     [["5a48764a92c54150ba8598564c0451f3", 1, "9d9e174549a246929f3e6751f4669626", "db74db80e9db48a29446631803e44a0d",
       "42", 1, None, None, None, None, 1796655369.0481656, 4]]],
    ["outbox", ["kind", "target", "payload", "idempotency_key", "pupil_id", "created_wall", "created_monotonic",
                "boot_id"],
     [["xapi", "lrs", json.dumps({
         "event": "answered", "pupil": {"id": "db74db80e9db48a29446631803e44a0d", "name": "Léa"},
         "session": {"id": 1, "code": "VHKEJ8", "title": "CM2", "teacher": "t"},
         "activity": {"id": "9d9e174549a246929f3e6751f4669626", "type": "quiz", "title": "6 x 7 ?",
                      "question": "6 x 7 ?", "interaction": "numeric", "correct": ["42[:]42"]},
         "result": {"response": "42", "success": True, "score": {"raw": 1, "max": 1}}},
         ensure_ascii=False, separators=(",", ":")),
       "b2d8b3e4-c9b6-5008-b780-48cc8b83026b", "db74db80e9db48a29446631803e44a0d", 1796655369.0486948,
       35288.828147527, "f3375917-506f-4a30-bb06-d17ecad6ff7b"]]],
]


def test_appends_inside_the_prewritten_journal_never_grow_it_and_sync_data_only(data_dir, monkeypatch):
    """Each ack costs the card its data block: no size or extent change for ext4 to journal, and
    `fdatasync`, not `fsync` (which would also write the inode's times)."""
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_answer("first"), journaled=True)
    path = data_dir / answer_journal.FILENAME
    before = os.stat(path)
    full_syncs: list[int] = []
    monkeypatch.setattr(answer_journal.os, "fsync", lambda fd: full_syncs.append(fd))
    for n in range(40):
        writer.run(_answer(f"k{n}"), journaled=True)
    after = os.stat(path)
    assert (after.st_size, after.st_blocks) == (before.st_size, before.st_blocks) == (answer_journal.SIZE,
                                                                                      answer_journal.SIZE // 512)
    assert full_syncs == []
    filefrag = shutil.which("filefrag")  # e2fsprogs: absent from the minbase root of the in-root run
    extents = subprocess.run([filefrag, "-v", str(path)], capture_output=True, text=True) if filefrag else None
    if extents is not None and extents.returncode == 0:  # zeros written for real: no unwritten extent to convert at an append
        assert "unwritten" not in extents.stdout


def test_a_zero_filled_tail_ends_the_replay_after_the_last_acked_record(data_dir, tmp_path):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    for key in ["a", "b", "c"]:
        writer.run(_answer(key), journaled=True)
    cut = _power_cut(data_dir, tmp_path / "cut")
    data = (cut / answer_journal.FILENAME).read_bytes()
    assert data[writer.journal.offset:] == bytes(len(data) - writer.journal.offset)  # the pre-written zeros
    assert answer_journal.recover_data_dir(cut) == (3, 0)
    assert {"a", "b", "c"} <= _keys(cut)


@pytest.mark.parametrize("kept", [0.005, 0.01, 0.5, 0.999])  # the cut hits the header, the CRC, the payload, its end
def test_a_power_cut_mid_record_loses_only_the_unacked_record(data_dir, tmp_path, kept):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    for key in ["acked1", "acked2"]:
        writer.run(_answer(key), journaled=True)
    end = writer.journal.offset
    while True:  # a record of ≈ 1.5 KB whose last byte is not 0 (a zero there would be no loss)
        record = writer.journal.encode([["outbox", ["kind", "target", "payload", "idempotency_key", "pupil_id"],
                                         [["xapi", "lrs", os.urandom(1000).hex(), "torn", "pupil-1"]]]])
        if record[-1]:
            break
    cut = _power_cut(data_dir, tmp_path / "cut")
    with open(cut / answer_journal.FILENAME, "r+b") as handle:  # the bytes of the next record that reached
        handle.seek(end)  # the card before the power went (its ack was never sent)
        handle.write(record[:int(len(record) * kept)])
    assert answer_journal.recover_data_dir(cut) == (2, 0)
    assert {"acked1", "acked2"} <= _keys(cut) and "torn" not in _keys(cut)


def test_an_answers_record_is_deflated_so_several_share_a_block():
    record = journal_codec.encode(7, ANSWER)
    plain = json.dumps(ANSWER, ensure_ascii=False, separators=(",", ":")).encode()
    assert len(record) * 2 < len(plain) + 16, (len(record), len(plain))  # ≈ 1 KB of JSON, < 0.5 KB stored
    assert journal_codec.decode(record + bytes(100), 0, 7) == (ANSWER, len(record))
    assert journal_codec.decode(record, 0, 8) is None  # another epoch: not this timeline's


def test_a_journal_written_before_deflate_is_still_replayed(data_dir, tmp_path):
    """A box cut mid-class, then upgraded: its journal holds plain JSON records."""
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_answer("deflated"), journaled=True)
    rows = [["outbox", ["kind", "target", "payload", "idempotency_key", "pupil_id"],
             [["xapi", "lrs", "{}", "plain", "pupil-1"]]]]
    payload = json.dumps(rows, separators=(",", ":")).encode()
    head = struct.pack("<QI", writer.journal.epoch, len(payload))
    writer.journal.append(head + struct.pack("<I", zlib.crc32(head + payload)) + payload)
    cut = _power_cut(data_dir, tmp_path / "cut")
    assert answer_journal.recover_data_dir(cut) == (2, 0)
    assert {"deflated", "plain"} <= _keys(cut)


def test_a_deflated_record_damaged_on_the_card_is_skipped_not_replayed_as_garbage(data_dir, tmp_path):
    writer = GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    writer.run(_answer("kept"), journaled=True)
    start = writer.journal.offset
    writer.run(_answer("damaged"), journaled=True)
    cut = _power_cut(data_dir, tmp_path / "cut")
    with open(cut / answer_journal.FILENAME, "r+b") as handle:
        handle.seek(start + journal_codec.HEADER.size + 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert answer_journal.recover_data_dir(cut) == (1, 0)
    assert "kept" in _keys(cut) and "damaged" not in _keys(cut)
