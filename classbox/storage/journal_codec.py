"""The answer journal's record format (storage/journal.py): header, CRC and a compressed JSON payload.

A record is a 16-byte header — epoch (u64), payload length (u32), CRC-32 of the header's first
12 bytes and the payload (u32) — then the payload. The payload is the rows as compact JSON,
compressed by raw deflate with a preset dictionary (`ZDICT`: the tables' column names and the
xAPI keys every record repeats) when that is shorter; the length's top bit says so. An answer's
record falls from ≈ 1 KB to ≈ 0.4 KB, so several share a 4 KB block and the zeroing after each
commit writes fewer blocks (docs/performance.md, issue 23). Records without the bit (plain JSON,
as written before) are read as they are. `ZDICT` must never change: a record written with it is
read with it; another dictionary would need another flag.
"""

from __future__ import annotations

import json
import struct
import zlib

HEADER = struct.Struct("<QII")  # epoch, payload length (top bit: deflated with ZDICT), crc32
DEFLATED = 1 << 31
_WBITS = -15  # raw deflate: no zlib header or checksum (the record's CRC covers the stored bytes)

ZDICT = (  # most frequent last: deflate reaches back 32 KB, nearer matches cost fewer bits
    '["classroom_sessions",["current_activity_id"],"id"]'
    '["classroom_activities",["id","session_id","type","spec","targets","created_wall","seq"],'
    '"{\\"kind\\": \\"number\\", \\"question\\": \\"choice\\", \\"choices\\": [\\"correct\\": '
    '["classroom_pupils",["id","session_id","name","nonce","removed","joined_wall","seq","member_id"],'
    '"{\\"event\\":\\"attended\\",'
    '["classroom_submissions",["id","session_id","activity_id","pupil_id","answer","correct",'
    '"file_path","file_mime","file_size","file_sha256","created_wall","seq"],[[null,null,null,null,'
    '\\"activity\\":{\\"id\\":\\"\\",\\"type\\":\\"quiz\\",\\"title\\":\\"\\",\\"question\\":\\"'
    '\\",\\"interaction\\":\\"numeric\\",\\"choice\\",\\"correct\\":[\\"[:]\\"]},'
    '\\"result\\":{\\"response\\":\\"\\",\\"success\\":true,\\"success\\":false,'
    '\\"score\\":{\\"raw\\":1,\\"max\\":1}}}",'
    '["outbox",["kind","target","payload","idempotency_key","pupil_id","created_wall",'
    '"created_monotonic","boot_id"],[["xapi","lrs","{\\"event\\":\\"answered\\",'
    '\\"pupil\\":{\\"id\\":\\"\\",\\"name\\":\\"\\"},'
    '\\"session\\":{\\"id\\":1,\\"code\\":\\"\\",\\"title\\":\\"\\",\\"teacher\\":\\"\\"}'
).encode()


def encode(epoch: int, rows: object) -> bytes:
    """One record holding these rows under `epoch`, deflated when that is shorter."""
    payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, _WBITS, 9, zlib.Z_DEFAULT_STRATEGY, ZDICT)
    deflated = packer.compress(payload) + packer.flush()
    length = len(payload)
    if len(deflated) < len(payload):
        payload, length = deflated, len(deflated) | DEFLATED
    head = struct.pack("<QI", epoch, length)
    return head + struct.pack("<I", zlib.crc32(head + payload)) + payload


def decode(data: bytes, offset: int, epoch: int) -> tuple[object, int] | None:
    """(rows, end) of the record of `epoch` at `offset`, or None (zeros, another epoch, torn, damaged)."""
    if offset + HEADER.size > len(data):
        return None
    found_epoch, length, crc = HEADER.unpack_from(data, offset)
    end = offset + HEADER.size + (length & ~DEFLATED)
    if found_epoch != epoch or end > len(data):
        return None
    head, payload = data[offset:offset + 12], data[offset + HEADER.size:end]
    if zlib.crc32(head + payload) != crc:
        return None
    try:
        if length & DEFLATED:
            unpacker = zlib.decompressobj(_WBITS, ZDICT)
            payload = unpacker.decompress(payload) + unpacker.flush()
            if not unpacker.eof:
                return None
        return json.loads(payload), end
    except (ValueError, zlib.error):
        return None
