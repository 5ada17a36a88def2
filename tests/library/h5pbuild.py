"""Building `.h5p` files for the tests from the H5P.ClassboxQuestion content type in fixtures/h5p."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

LIBRARY_DIR = Path(__file__).parent / "fixtures" / "h5p" / "H5P.ClassboxQuestion-1.0"
LIBRARY = "H5P.ClassboxQuestion"


def h5p_json(title: str = "La capitale de la France", language: str = "fr", **overrides) -> dict:
    """A valid h5p.json for a ClassboxQuestion content."""
    data = {"title": title, "language": language, "mainLibrary": LIBRARY, "embedTypes": ["iframe"],
            "license": "CC BY-SA", "preloadedDependencies": [
                {"machineName": LIBRARY, "majorVersion": 1, "minorVersion": 0}]}
    data.update(overrides)
    return data


def content_json(question: str = "Quelle est la capitale de la France ?", answer: str = "Paris") -> dict:
    """The parameters of one question, with French button and feedback texts."""
    return {"question": question, "answer": answer,
            "l10n": {"check": "Vérifier", "correct": "Bonne réponse !", "wrong": "Mauvaise réponse."}}


def library_files(patch: int = 0, script: bytes | None = None) -> dict[str, bytes]:
    """The library folder's files (library.json with `patch` as its patch version)."""
    files = {}
    for path in sorted(LIBRARY_DIR.rglob("*")):
        if path.is_file():
            files[f"{LIBRARY_DIR.name}/{path.relative_to(LIBRARY_DIR).as_posix()}"] = path.read_bytes()
    meta = json.loads(files[f"{LIBRARY_DIR.name}/library.json"])
    meta["patchVersion"] = patch
    files[f"{LIBRARY_DIR.name}/library.json"] = json.dumps(meta, indent=2).encode()
    if script is not None:
        files[f"{LIBRARY_DIR.name}/classbox-question.js"] = script
    return files


def h5p_files(meta: dict | bytes | None = None, content: dict | None = None, patch: int = 0,
              with_library: bool = True) -> dict[str, bytes]:
    """Every member of a `.h5p`: h5p.json (None: the default; b"": left out), content, library."""
    files: dict[str, bytes] = {}
    if meta != b"":
        raw = meta if isinstance(meta, bytes) else json.dumps(meta or h5p_json(), ensure_ascii=False).encode()
        files["h5p.json"] = raw
    files["content/content.json"] = json.dumps(content or content_json(), ensure_ascii=False).encode()
    if with_library:
        files.update(library_files(patch))
    return files


def write_h5p(path: Path, files: dict[str, bytes] | None = None, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """Zip `files` (default: a valid ClassboxQuestion content) into a `.h5p` at `path`."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in (h5p_files() if files is None else files).items():
            zf.writestr(name, data)
    return path


def declare_size(path: Path, member: str, size: int) -> Path:
    """Rewrite the central directory so that `member` claims `size` bytes once unpacked (a zip
    that announces gigabytes without holding them)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    position = 0
    while True:
        position = data.find(b"PK\x01\x02", position)
        if position < 0:
            raise ValueError(f"{member} not in the central directory")
        name_len = int.from_bytes(data[position + 28:position + 30], "little")
        if data[position + 46:position + 46 + name_len] == name:
            data[position + 24:position + 28] = size.to_bytes(4, "little")
            break
        position += 4
    path.write_bytes(bytes(data))
    return path
