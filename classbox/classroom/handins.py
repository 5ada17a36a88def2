"""Hand-in files: type checked by content (not by name), size limit, harmless names, one activity's
hand-ins as a ZIP for the teacher (on disk: handin_disk)."""

from __future__ import annotations

import io
import json
import re
import shutil
import time
import unicodedata
import zipfile
from pathlib import Path
from typing import BinaryIO

from classbox.classroom.errors import ClassroomError
from classbox.classroom.handin_disk import HANDIN_DIR  # noqa: F401  (where hand-ins live, for privacy)

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
FILE_TYPES = {**IMAGE_TYPES, "application/pdf": "pdf", "text/plain": "txt",
              "application/vnd.oasis.opendocument.text": "odt",
              "application/vnd.oasis.opendocument.spreadsheet": "ods",
              "application/vnd.oasis.opendocument.presentation": "odp",
              "application/vnd.oasis.opendocument.graphics": "odg"}
# Letters and digits of any script (a French pupil's "schéma"), dot, hyphen, space; nothing else.
SAFE_NAME = re.compile(r"[^\w. -]+")


def sniff(data: bytes) -> str | None:
    """The MIME type of a file from its first bytes, if it is one we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04") and data[30:38] == b"mimetype":
        declared = data[38:38 + 60].split(b"PK", 1)[0].decode("ascii", "replace").strip()
        return declared if declared in FILE_TYPES else None
    if data and b"\x00" not in data:
        try:
            data.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError:
            return None
    return None


def check_file(data: bytes, kind: str, accept: list[str], max_bytes: int) -> str:
    """The MIME type of an acceptable hand-in ("photo" or "file"); ClassroomError otherwise."""
    if kind not in accept or kind not in ("photo", "file"):
        raise ClassroomError("invalid_answer", f"{kind} not accepted for this hand-in")
    if len(data) > max_bytes:
        raise ClassroomError("file_too_large")
    if not data:
        raise ClassroomError("invalid_answer", "empty file")
    mime = sniff(data)
    allowed = IMAGE_TYPES if kind == "photo" else FILE_TYPES
    if mime not in allowed:
        raise ClassroomError("file_type")
    return mime


def clean_filename(name: str | None, mime: str) -> str:
    """A harmless display name for the file, with the extension of its real type."""
    stem = SAFE_NAME.sub("_", unicodedata.normalize("NFC", Path(name or "travail").stem)).strip(" ._")[:60]
    stem = stem or "travail"
    return f"{stem}.{FILE_TYPES[mime]}"


def teacher_file_name(pupil: str, row: dict) -> str:
    """"<pupil> - <name handed in>" for a stored hand-in file, flat and harmless: the name a teacher
    downloads it under, alone or in an activity's ZIP."""
    answer = json.loads(row["answer"]) if isinstance(row["answer"], str) else row["answer"]
    name = (answer or {}).get("file") or Path(row["file_path"]).name
    return _flat(f"{pupil} - {name}")


def _flat(name: str) -> str:
    """A file name without control characters, slashes or colons (NFC, no leading or trailing dots)."""
    return re.sub(r"[\x00-\x1f\x7f/\\:]+", "_", unicodedata.normalize("NFC", name)).strip(" .")


def _unique_name(taken: set[str], base: str) -> str:
    """`base`, or "stem (2).ext", "stem (3).ext"… if taken; remembered in `taken`."""
    stem, dot, ext = base.rpartition(".") if "." in base else (base, "", "")
    member, n = base, 1
    while member in taken:
        n += 1
        member = f"{stem} ({n}){dot}{ext}"
    taken.add(member)
    return member


def write_zip(out: BinaryIO, data_dir: Path, submissions: list[dict]) -> int:
    """Every hand-in of an activity into a ZIP written to `out`: files as "<pupil> - <name>",
    text hand-ins as "<pupil> - texte.txt", in arrival order, names made unique; a file erased
    meanwhile (pupil erased, retention) is left out. Returns the count."""
    taken: set[str] = set()
    count = 0
    with zipfile.ZipFile(out, "w") as archive:
        for row in submissions:
            answer = json.loads(row["answer"]) if isinstance(row["answer"], str) else row["answer"]
            if row["file_path"]:
                try:
                    source: BinaryIO = open(Path(data_dir) / row["file_path"], "rb")
                except FileNotFoundError:
                    continue
                name = teacher_file_name(row["pupil_name"], row)
                compress = zipfile.ZIP_STORED if row["file_mime"] in IMAGE_TYPES else zipfile.ZIP_DEFLATED
            elif isinstance(answer, dict) and isinstance(answer.get("text"), str):
                source = io.BytesIO(answer["text"].encode())
                name, compress = _flat(f"{row['pupil_name']} - texte.txt"), zipfile.ZIP_DEFLATED
            else:
                continue
            when = time.localtime(max(row["created_wall"] or 0, 315532800))[:6]  # ZIP dates start in 1980
            info = zipfile.ZipInfo(_unique_name(taken, name), date_time=when)
            info.compress_type = compress  # photos are compressed already: stored
            with source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, 1 << 20)
            count += 1
    return count