"""Importing classbox-pack/1 packs: atomic, idempotent, versioned; every bad pack refused cleanly."""

from __future__ import annotations

import hashlib
import os
import zipfile

import pytest

from classbox.library import PackError, import_path
from classbox.library.packs import remove_pack
from classbox.library.store import BlobStore
from classbox.storage import open_database
from tests.library.conftest import FILES, library_state, manifest, write_folder, write_zip


def resources(config) -> dict:
    db = open_database(config.data_dir)
    try:
        return {r["path"]: r for r in db["resource"].rows}
    finally:
        db.conn.close()


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_import_pack_catalogues_and_stores_every_resource(lib_config, tmp_path, form):
    source = (write_folder(tmp_path / "pack", manifest()) if form == "folder"
              else write_zip(tmp_path / "pack.zip", manifest()))
    result = import_path(lib_config, source)
    assert (result.status, result.resources) == ("added", 3)
    rows = resources(lib_config)
    store = BlobStore(lib_config.data_dir)
    for path, content in FILES.items():
        sha = hashlib.sha256(content).hexdigest()
        assert rows[path]["sha256"] == sha and rows[path]["size"] == len(content)
        assert store.path(sha).read_bytes() == content
        assert store.path(sha) == lib_config.data_dir / "blobs" / sha[:2] / sha[2:4] / sha
    assert rows["lecons/eau.html"]["kind"] == "html" and rows["images/éléphant.svg"]["mime"] == "image/svg+xml"
    assert rows["textes/fable.txt"]["license"] == "CC-BY-SA-4.0"  # inherited from the pack


def test_same_pack_twice_changes_nothing(lib_config, tmp_path):
    source = write_zip(tmp_path / "pack.zip", manifest())
    import_path(lib_config, source)
    before = library_state(lib_config.data_dir)
    assert import_path(lib_config, source).status == "unchanged"
    assert library_state(lib_config.data_dir) == before


def test_newer_version_replaces_the_older_resources(lib_config, tmp_path):
    import_path(lib_config, write_folder(tmp_path / "v1", manifest()))
    old_sha = resources(lib_config)["textes/fable.txt"]["sha256"]
    files = dict(FILES)
    files["textes/fable.txt"] = "La cigale, version 2".encode()
    v2 = manifest(version="2", resources=manifest()["resources"][::2])  # drops the image
    result = import_path(lib_config, write_folder(tmp_path / "v2", v2, files))
    assert result.status == "updated"
    rows = resources(lib_config)
    assert set(rows) == {"lecons/eau.html", "textes/fable.txt"}
    assert not BlobStore(lib_config.data_dir).has(old_sha)  # no longer used by anything
    ids_before = {"lecons/eau.html"}
    assert all(rows[p]["id"] for p in ids_before)


def test_older_version_is_refused(lib_config, tmp_path):
    import_path(lib_config, write_folder(tmp_path / "v2", manifest(version="2.0")))
    before = library_state(lib_config.data_dir)
    with pytest.raises(PackError, match="newer"):
        import_path(lib_config, write_folder(tmp_path / "v1", manifest(version="1.5")))
    assert library_state(lib_config.data_dir) == before


def test_shared_blobs_are_stored_once_and_kept_while_used(lib_config, tmp_path):
    import_path(lib_config, write_folder(tmp_path / "a", manifest()))
    import_path(lib_config, write_folder(tmp_path / "b", manifest(id="autre-pack")))
    store = BlobStore(lib_config.data_dir)
    assert len(list(store.iter_blobs())) == 3
    remove_pack(lib_config, "sciences-c3")
    assert len(list(store.iter_blobs())) == 3
    remove_pack(lib_config, "autre-pack")
    assert list(store.iter_blobs()) == []


def test_missing_source_is_a_clear_error(lib_config, tmp_path):
    with pytest.raises(PackError, match="no such file"):
        import_path(lib_config, tmp_path / "absent.zip")


def test_failure_while_swapping_rows_keeps_the_old_version(lib_config, tmp_path, monkeypatch):
    from classbox.library import catalogue

    import_path(lib_config, write_folder(tmp_path / "v1", manifest()))
    before = library_state(lib_config.data_dir)
    real, calls = catalogue.index_resource, []

    def failing(db, row):
        calls.append(row["path"])
        if len(calls) == 2:
            raise RuntimeError("disk I/O error")
        real(db, row)

    monkeypatch.setattr(catalogue, "index_resource", failing)
    files = {**FILES, "textes/fable.txt": b"nouvelle fable"}
    with pytest.raises(RuntimeError):
        import_path(lib_config, write_folder(tmp_path / "v2", manifest(version="2"), files))
    assert library_state(lib_config.data_dir) == before  # old rows back, the new blob removed


def test_declared_blob_already_stored_is_checked_not_copied_again(lib_config, tmp_path, monkeypatch):
    from classbox.library import packs

    import_path(lib_config, write_folder(tmp_path / "a", manifest()))
    fable = FILES["textes/fable.txt"]
    declared = manifest(id="autre-pack", resources=[
        {"path": "textes/fable.txt", "title": "Fable", "sha256": hashlib.sha256(fable).hexdigest()}])
    targets = []
    real_stage = packs._stage
    monkeypatch.setattr(packs, "_stage", lambda source, spec, target, **options: targets.append(target) or
                        real_stage(source, spec, target, **options))
    result = import_path(lib_config, write_folder(tmp_path / "b", declared, {"textes/fable.txt": fable}))
    assert (result.status, result.bytes_written, targets) == ("added", 0, [None])
    db = open_database(lib_config.data_dir)
    try:
        rows = list(db["resource"].rows_where("pack = ?", ["autre-pack"]))
    finally:
        db.conn.close()
    assert [(r["path"], r["sha256"]) for r in rows] == [("textes/fable.txt", hashlib.sha256(fable).hexdigest())]
    # the declared hash is still checked against the pack's bytes
    before = library_state(lib_config.data_dir)
    with pytest.raises(PackError, match="sha256 mismatch"):
        import_path(lib_config, write_folder(tmp_path / "c", {**declared, "id": "troisieme"},
                                             {"textes/fable.txt": b"autre chose"}))
    assert library_state(lib_config.data_dir) == before


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_zip_members_are_read_directly_and_crc_checked(lib_config, tmp_path, compression):
    big = os.urandom(3 * 1024 * 1024 + 5)  # more than one copy buffer
    files = {**FILES, "videos/film.mp4": big}
    spec = manifest(resources=[*manifest()["resources"], {"path": "videos/film.mp4", "title": "Film"}])
    pack = write_zip(tmp_path / "stored.zip", spec, files, compression=compression)
    assert import_path(lib_config, pack).status == "added"
    stored = {r["path"]: r["sha256"] for r in resources(lib_config).values()}
    assert stored["videos/film.mp4"] == hashlib.sha256(big).hexdigest()
    assert BlobStore(lib_config.data_dir).path(stored["videos/film.mp4"]).read_bytes() == big

    other = write_zip(tmp_path / "other.zip", {**spec, "id": "autre-pack"}, files, compression=compression)
    damaged = bytearray(other.read_bytes())  # one byte flipped inside the film's data
    damaged[damaged.index(big[1000:1040]) + 7] ^= 0xFF
    bad = tmp_path / "damaged.zip"
    bad.write_bytes(bytes(damaged))
    before = library_state(lib_config.data_dir)
    with pytest.raises(PackError, match="CRC-32 mismatch"):
        import_path(lib_config, bad)
    assert library_state(lib_config.data_dir) == before


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_deflate_stream_is_refused(lib_config, tmp_path, damage):
    text = ("Le cycle de l'eau : évaporation, condensation, précipitations. " * 40000).encode()
    spec = manifest(resources=[{"path": "lecons/eau.html", "title": "Eau"}])
    path = write_zip(tmp_path / "p.zip", spec, {"lecons/eau.html": text})
    data = bytearray(path.read_bytes())
    start = data.index(b"lecons/eau.html") + len("lecons/eau.html") + 200  # inside the compressed data
    if damage == "flip":
        data[start] ^= 0x55
    else:
        info = zipfile.ZipFile(path).getinfo("lecons/eau.html")
        data[start:start + info.compress_size // 2] = b""  # the central directory still claims it all
    path.write_bytes(bytes(data))
    import_path(lib_config, write_folder(tmp_path / "good", manifest(id="deja-la")))
    before = library_state(lib_config.data_dir)
    with pytest.raises(PackError):
        import_path(lib_config, path)
    assert library_state(lib_config.data_dir) == before
