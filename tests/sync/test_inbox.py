"""The inbox against a real wsgidav folder: ETag-aware, resumable, verified, deletions."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

import classbox.library
from classbox.library.packs import ImportResult
from classbox.storage import open_database
from classbox.sync.inbox import Inbox, InboxError, parse_multistatus
from classbox.sync.link import Link
from tests.sync.test_webdav import dav_config

pytestmark = pytest.mark.peer


def make_zip(extra: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if extra:
            archive.writestr(zipfile.ZipInfo("nouveau.txt"), "mise à jour")
        archive.writestr(zipfile.ZipInfo("classbox-pack.json"), '{"title": "Cycle de l\'eau"}')
        archive.writestr(zipfile.ZipInfo("cours.html"), "<p>La pluie</p>" * 2000)
    return buffer.getvalue()


@pytest.fixture
def imported(monkeypatch):
    """The library's importer recording what the inbox hands it (files that are not packs, too)."""
    calls = []

    def import_path(config, path, source_label=None):
        calls.append((path.name, path.read_bytes()))
        return ImportResult(f"res-{len(calls)}", "1", "added", 1)
    monkeypatch.setattr(classbox.library, "import_path", import_path)
    return calls


def pull(config, **link_args):
    link = Link(**link_args)
    db = open_database(config.data_dir)
    try:
        return Inbox.from_config(config, link, db).pull(), link
    finally:
        link.close()
        db.conn.close()


def test_inbox_imports_verified_files_once_and_notices_deletions(tmp_path, dav, imported):
    calls = imported
    folder = dav.root / "ressources"
    (folder / "sciences").mkdir(parents=True)
    pack = make_zip()
    (folder / "pack-eau.zip").write_bytes(pack)
    (folder / "sciences" / "fiche.pdf").write_bytes(b"%PDF fiche" * 100)
    (folder / "sciences" / "fiche.pdf.sha256").write_text(hashlib.sha256(b"%PDF fiche" * 100).hexdigest())
    (folder / "abime.zip").write_bytes(pack[: len(pack) // 2])
    (folder / "faux.pdf").write_bytes(b"contenu")
    (folder / "faux.pdf.sha256").write_text("0" * 64)
    config = dav_config(tmp_path, dav, **{"sync.webdav.inbox": "ressources", "sync.webdav.inbox_delete": True})

    counts, _ = pull(config)
    assert counts["imported"] == 2 and counts["failed"] == 2
    assert sorted(name for name, _ in calls) == ["fiche.pdf", "pack-eau.zip"]
    assert dict(calls)["pack-eau.zip"] == pack

    counts, link = pull(config)  # unchanged ETags: nothing downloaded again
    assert counts["unchanged"] == 2 and len(calls) == 2
    assert link.received < 20_000  # only the listings and the failed files, not the pack again

    (folder / "sciences" / "fiche.pdf").unlink()  # what the library does: test_a_pack_removed_from_the_ent_…
    (folder / "sciences" / "fiche.pdf.sha256").unlink()
    counts, _ = pull(config)
    assert counts["deleted"] == 1

    (folder / "pack-eau.zip").write_bytes(make_zip(extra=True))
    counts, _ = pull(config)  # a changed upstream file (new ETag) is fetched again
    assert counts["imported"] == 1 and calls[-1] == ("pack-eau.zip", make_zip(extra=True))


def test_interrupted_download_resumes_with_range(tmp_path, dav, imported):
    calls = imported
    big = bytes(range(256)) * 4000  # 1 MB
    (dav.root / "ressources").mkdir()
    (dav.root / "ressources" / "video.bin").write_bytes(big)
    config = dav_config(tmp_path, dav, **{"sync.webdav.inbox": "ressources"})
    link = Link()
    db = open_database(config.data_dir)
    inbox = Inbox.from_config(config, link, db)
    item = inbox.listing()[0]
    # a previous window stopped after 600 kB
    inbox.work.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(item.name.encode()).hexdigest()[:16]
    (inbox.work / f"{key}.part").write_bytes(big[:600_000])
    (inbox.work / f"{key}.etag").write_text(item.etag)
    before = link.received
    counts = inbox.pull()
    link.close()
    db.conn.close()
    assert counts["imported"] == 1 and calls == [("video.bin", big)]
    assert link.received - before < 500_000  # only the rest came over the wire


@pytest.mark.parametrize("body", [
    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>",
    b"not xml at all",
    b"<d:multistatus xmlns:d='DAV:'><d:response><d:href>/dav/ressources/../../etc/passwd</d:href>"
    b"<d:propstat><d:prop><d:getetag>x</d:getetag></d:prop></d:propstat></d:response></d:multistatus>",
])
def test_hostile_listings_are_refused_or_ignored(body):
    try:
        files, folders = parse_multistatus(body, "http://127.0.0.1:1/dav/ressources/")
    except InboxError:
        return
    assert files == [] and folders == []


def test_agent_lists_the_inbox_at_most_once_per_interval(tmp_path, dav, imported):
    from classbox.sync.runner import SyncRunner

    calls = imported
    (dav.root / "ressources").mkdir()
    (dav.root / "ressources" / "a.txt").write_bytes(b"bonjour")
    config = dav_config(tmp_path, dav, **{"sync.webdav.inbox": "ressources"})
    runner = SyncRunner(config)
    try:
        assert runner.once()["inbox"]["imported"] == 1
        (dav.root / "ressources" / "b.txt").write_bytes(b"salut")
        assert "inbox" not in runner.once()  # within the interval: no listing
    finally:
        runner.link.close()
    assert [name for name, _ in calls] == ["a.txt"]


def test_a_file_the_library_refuses_is_not_downloaded_again_until_it_changes(tmp_path, dav):
    (dav.root / "ressources").mkdir()
    (dav.root / "ressources" / "pas-un-pack.zip").write_bytes(make_zip())  # no valid manifest
    config = dav_config(tmp_path, dav, **{"sync.webdav.inbox": "ressources"})
    counts, _ = pull(config)
    assert counts["failed"] == 1
    db = open_database(config.data_dir)
    state, error = db.execute("SELECT state, error FROM sync_inbox").fetchone()
    db.conn.close()
    assert state == "rejected" and "library refused" in error
    counts, link = pull(config)
    assert counts["unchanged"] == 1 and link.received < 5_000


def library_packs(config) -> dict[str, int]:
    """{pack id: resources} in the real catalogue."""
    db = open_database(config.data_dir)
    try:
        return dict(db.execute("SELECT pack, count(*) FROM resource GROUP BY pack").fetchall())
    finally:
        db.conn.close()


def test_a_pack_removed_from_the_ent_folder_leaves_the_library(tmp_path, dav):
    """inbox_delete, with the real library: the pack and its files go; a pack from elsewhere stays."""
    from classbox.library.store import BlobStore
    from tests.library.conftest import manifest, write_zip

    def histoire(version="1"):
        return manifest(id="histoire-c3", title="Histoire", version=version,
                        resources=[{"path": "textes/fable.txt", "title": "Fable"}])

    folder = dav.root / "ressources"
    folder.mkdir()
    write_zip(folder / "sciences.zip", manifest())
    write_zip(folder / "histoire.zip", histoire())
    config = dav_config(tmp_path, dav, **{"sync.webdav.inbox": "ressources", "sync.webdav.inbox_delete": True})
    counts, _ = pull(config)
    assert counts["imported"] == 2 and library_packs(config) == {"sciences-c3": 3, "histoire-c3": 1}
    blobs = {sha for sha, _ in BlobStore(config.data_dir).iter_blobs()}

    (folder / "sciences.zip").unlink()  # the teacher removed it from the ENT's folder
    counts, _ = pull(config)
    assert counts["deleted"] == 1
    assert library_packs(config) == {"histoire-c3": 1}
    assert {sha for sha, _ in BlobStore(config.data_dir).iter_blobs()} < blobs, "its files left the disk"

    # a newer histoire-c3 installed from a USB stick is no longer the inbox's: deleting upstream keeps it
    from classbox.library import import_path
    write_zip(tmp_path / "usb.zip", histoire(version="2"))
    import_path(config, tmp_path / "usb.zip")
    (folder / "histoire.zip").unlink()
    counts, _ = pull(config)
    assert counts["deleted"] == 1 and library_packs(config) == {"histoire-c3": 1}


def test_without_inbox_delete_a_pack_removed_upstream_stays(tmp_path, dav):
    from tests.library.conftest import manifest, write_zip

    folder = dav.root / "ressources"
    folder.mkdir()
    write_zip(folder / "sciences.zip", manifest())
    config = dav_config(tmp_path, dav, **{"sync.webdav.inbox": "ressources"})
    assert pull(config)[0]["imported"] == 1
    (folder / "sciences.zip").unlink()
    assert pull(config)[0]["deleted"] == 0
    assert library_packs(config) == {"sciences-c3": 3}


def test_an_h5p_in_the_ent_folder_becomes_an_exercise_and_leaves_with_it(tmp_path, dav):
    """The real library: an .h5p dropped in the ENT's folder is imported; removed upstream, it goes."""
    from tests.library.h5pbuild import h5p_files, write_h5p

    folder = dav.root / "ressources"
    folder.mkdir()
    write_h5p(folder / "capitale.h5p")
    bad = h5p_files()
    bad["content/shell.php"] = b"<?php ?>"
    write_h5p(folder / "piege.h5p", bad)
    config = dav_config(tmp_path, dav, **{"sync.webdav.inbox": "ressources", "sync.webdav.inbox_delete": True})
    counts, _ = pull(config)
    assert counts["imported"] == 1 and counts["failed"] == 1
    db = open_database(config.data_dir)
    try:
        assert db.execute("SELECT title, kind FROM resource").fetchall() == [("La capitale de la France", "h5p")]
        error = db.execute("SELECT error FROM sync_inbox WHERE state = 'rejected'").fetchone()[0]
    finally:
        db.conn.close()
    assert "content/shell.php: .php files are not allowed" in error
    (folder / "capitale.h5p").unlink()
    counts, _ = pull(config)
    assert counts["deleted"] == 1 and library_packs(config) == {}
