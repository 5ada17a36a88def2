"""Library fixtures: packs (folder or zip) and small ZIM files made with libzim's writer."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from libzim.writer import Creator, Hint, Item, StringProvider

from tests.helpers import make_config


def manifest(**overrides) -> dict:
    """A valid manifest for the files written by `pack_folder`."""
    base = {
        "format": "classbox-pack/1", "id": "sciences-c3", "version": "1", "title": "Sciences cycle 3",
        "language": "fr", "publisher": "Atelier Canopé", "license": "CC-BY-SA-4.0",
        "resources": [
            {"path": "lecons/eau.html", "title": "Le cycle de l'eau", "subject": "sciences", "level": "cycle3"},
            {"path": "images/éléphant.svg", "title": "L'éléphant d'Afrique", "description": "Schéma",
             "subject": "sciences", "level": "cycle3"},
            {"path": "textes/fable.txt", "title": "Fable", "subject": "francais", "level": "cycle2"},
        ],
    }
    base.update(overrides)
    return base


FILES = {
    "lecons/eau.html": b"<!doctype html><title>Eau</title><p>L'eau s'evapore.</p><img src='../images/%C3%A9l%C3%A9phant.svg'>",
    "images/éléphant.svg": b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'></svg>",
    "textes/fable.txt": "La cigale ayant chanté tout l'été…".encode(),
}


def write_folder(root: Path, data: dict | bytes, files: dict[str, bytes] | None = None) -> Path:
    """A pack folder with a manifest (dict, or raw bytes) and files."""
    root.mkdir(parents=True, exist_ok=True)
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    (root / "classbox-pack.json").write_bytes(raw)
    for name, content in (FILES if files is None else files).items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return root


def write_zip(path: Path, data: dict | bytes | None, files: dict[str, bytes] | None = None,
              compression=zipfile.ZIP_DEFLATED) -> Path:
    """A zipped pack."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        if data is not None:
            raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
            zf.writestr("classbox-pack.json", raw)
        for name, content in (FILES if files is None else files).items():
            zf.writestr(name, content)
    return path


class Article(Item):
    def __init__(self, path: str, title: str, html: str, mimetype: str = "text/html"):
        super().__init__()
        self.path, self.title, self.html, self.mimetype = path, title, html, mimetype

    def get_path(self): return self.path
    def get_title(self): return self.title
    def get_mimetype(self): return self.mimetype
    def get_contentprovider(self): return StringProvider(self.html)
    def get_hints(self): return {Hint.FRONT_ARTICLE: self.mimetype == "text/html"}


def make_zim(path: Path, name: str = "vikidia_fr_test", articles: int = 30, title: str = "Vikidia test") -> Path:
    """A small French ZIM with a main page, a redirect, a CSS file and a full-text index."""
    with Creator(str(path)).config_indexing(True, "fra") as creator:
        creator.set_mainpath("Accueil")
        creator.add_item(Article("Accueil", "Accueil", "<html><body><h1>Bienvenue</h1></body></html>"))
        for i in range(articles):
            creator.add_item(Article(f"Animal_{i}", f"Éléphant {i}",
                                     f"<html><head><title>Éléphant {i}</title></head><body><p>L'éléphant "
                                     f"numéro {i} vit dans la forêt et mange des végétaux.</p></body></html>"))
        creator.add_item(Article("style/main.css", "", "body{color:#111}", "text/css"))
        creator.add_redirection("Elephant", "Elephant", "Animal_1", {Hint.FRONT_ARTICLE: True})
        for key, value in {"Name": name, "Title": title, "Language": "fra", "Description": "Encyclopédie",
                           "Creator": "Vikidia", "Publisher": "Kiwix", "Date": "2026-01-01"}.items():
            creator.add_metadata(key, value)
    return path


@pytest.fixture
def lib_config(tmp_path):
    """A config whose disk threshold the tests control."""
    return make_config(tmp_path / "data", **{"library.min_free_mb": 1})


@pytest.fixture
def config(lib_config):
    """The app fixture uses the library's config."""
    return lib_config


def library_state(data_dir: Path) -> dict:
    """Everything an import may change: catalogue rows, blob files, ZIM files, temp leftovers."""
    from classbox.storage import open_database

    db = open_database(data_dir)
    try:
        tables = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                  for t in ("pack", "resource", "zim_book")}
        tables["fts"] = db.execute("SELECT rowid, title FROM resource_fts ORDER BY 1").fetchall()
    finally:
        db.conn.close()
    files = sorted(str(p.relative_to(data_dir)) for sub in ("blobs", "zim", "tmp")
                   for p in (data_dir / sub).rglob("*") if p.is_file() and not p.name.endswith(".lock"))
    return {"tables": tables, "files": files}


class Buffered:
    """A Flask test client whose responses are read and closed at once (file responses)."""

    def __init__(self, client):
        self.client = client

    def get(self, *args, **kwargs):
        return self.client.get(*args, buffered=True, **kwargs)

    def head(self, *args, **kwargs):
        return self.client.head(*args, buffered=True, **kwargs)
