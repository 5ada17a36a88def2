"""Reading every record a journal file holds, whatever its epoch (tests look for names in it)."""

from __future__ import annotations

import json
from pathlib import Path

from classbox.storage import journal_codec
from classbox.storage.journal import BLOCK


def records_in(path: Path) -> list[tuple[int, object]]:
    """(offset, rows) of every readable record of the file, of any epoch (records start at a block
    start or right after the record before them)."""
    data, found = path.read_bytes(), []
    for block in range(0, len(data), BLOCK):
        offset = block
        while offset + journal_codec.HEADER.size <= len(data):
            epoch = journal_codec.HEADER.unpack_from(data, offset)[0]
            record = journal_codec.decode(data, offset, epoch) if epoch else None
            if record is None:
                break
            found.append((offset, record[0]))
            offset = record[1]
    return sorted(dict(found).items())


def text_of(path: Path) -> str:
    """What a reader of the file could get out of it: its records as text, and its raw bytes."""
    decoded = " ".join(json.dumps(rows, ensure_ascii=False) for _, rows in records_in(path))
    return decoded + path.read_bytes().decode("utf-8", "replace")
