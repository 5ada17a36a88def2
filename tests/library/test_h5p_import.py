"""Importing `.h5p` files: a searchable resource of kind h5p, libraries stored once, newer patches
replacing older ones, every bad file refused with a clear error and nothing stored."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile

import pytest

from classbox.cli import cli
from classbox.library import PackError, import_path
from classbox.library.catalogue import search
from classbox.library.packs import remove_pack
from classbox.library.store import BlobStore
from classbox.storage import open_database
from classbox.web.datadir import prepare_data_dir
from tests.library.conftest import library_state
from tests.library.h5pbuild import (LIBRARY_DIR, content_json, declare_size, h5p_files, h5p_json, library_files,
                                    write_h5p)

MB = 1024 * 1024
LIB = "H5P.ClassboxQuestion-1.0"
SCRIPT = f"{LIB}/classbox-question.js"


def rows(config, sql: str, params=()) -> list:
    db = open_database(config.data_dir)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.conn.close()


def state(config) -> dict:
    """Everything an H5P import may change: the library's state and the H5P tables."""
    result = library_state(config.data_dir)
    for table in ("h5p_library", "h5p_content", "h5p_file"):
        result[table] = rows(config, f"SELECT * FROM {table} ORDER BY 1, 2")
    return result


def second_question(tmp_path, name="b.h5p", **kwargs):
    """Another exercise using the same library."""
    files = h5p_files(h5p_json("Le plus long fleuve"), content_json("Le plus long fleuve de France ?", "Loire"),
                      **kwargs)
    return write_h5p(tmp_path / name, files)


def test_an_h5p_becomes_a_searchable_resource_of_kind_h5p(lib_config, tmp_path):
    result = import_path(lib_config, write_h5p(tmp_path / "capitale.h5p"))
    assert (result.status, result.resources) == ("added", 1)
    db = open_database(lib_config.data_dir)
    try:
        found = search(db, "capitale", kind="h5p").items
        assert [r["title"] for r in found] == ["La capitale de la France"]
        assert (found[0]["kind"], found[0]["language"], found[0]["license"]) == ("h5p", "fr", "CC BY-SA")
        assert db.execute("SELECT kind FROM pack WHERE id = ?", [found[0]["pack"]]).fetchone()[0] == "h5p"
    finally:
        db.conn.close()
    store = BlobStore(lib_config.data_dir)
    content = dict(rows(lib_config, "SELECT path, sha256 FROM h5p_file WHERE owner = ?",
                        [f"content:{found[0]['pack']}"]))
    assert json.loads(store.path(content["content/content.json"]).read_bytes())["answer"] == "Paris"
    assert found[0]["sha256"] == content["h5p.json"]
    library = dict(rows(lib_config, "SELECT path, sha256 FROM h5p_file WHERE owner = ?", [f"library:{LIB}"]))
    script = (LIBRARY_DIR / "classbox-question.js").read_bytes()
    assert store.path(library["classbox-question.js"]).read_bytes() == script
    assert set(library) == {"library.json", "semantics.json", "classbox-question.js", "classbox-question.css",
                            "language/fr.json"}
    assert rows(lib_config, "SELECT key, patch FROM h5p_library") == [(LIB, 0)]
    assert rows(lib_config, "SELECT main_library, dependencies FROM h5p_content") == [
        ("H5P.ClassboxQuestion", json.dumps([LIB]))]


def test_a_catalogue_from_before_h5p_is_upgraded_and_keeps_its_packs(lib_config, tmp_path):
    from classbox.features import migration_sets
    from classbox.storage import migrate
    from tests.library.conftest import manifest, write_zip

    lib_config.data_dir.mkdir(parents=True)
    db = open_database(lib_config.data_dir)
    try:
        for migrations in migration_sets():
            migrations.apply(db, stop_before="m004_h5p" if migrations.name == "classbox.library" else None)
        db.conn.commit()
    finally:
        db.conn.close()
    import_path(lib_config, write_zip(tmp_path / "pack.zip", manifest()))  # upgrades the schema first
    db = open_database(lib_config.data_dir)
    try:
        assert migrate(db, migration_sets()) == []
    finally:
        db.conn.close()
    assert import_path(lib_config, write_h5p(tmp_path / "capitale.h5p")).status == "added"
    assert rows(lib_config, "SELECT kind, count(*) FROM resource GROUP BY kind ORDER BY kind") == [
        ("h5p", 1), ("html", 1), ("image", 1), ("text", 1)]


def test_the_same_h5p_twice_changes_nothing(lib_config, tmp_path):
    source = write_h5p(tmp_path / "capitale.h5p")
    import_path(lib_config, source)
    before = state(lib_config)
    assert import_path(lib_config, write_h5p(tmp_path / "again.h5p")).status == "unchanged"
    assert state(lib_config) == before


def test_two_packages_sharing_a_library_store_it_once(lib_config, tmp_path):
    import_path(lib_config, write_h5p(tmp_path / "a.h5p"))
    second = import_path(lib_config, second_question(tmp_path))
    assert second.status == "added"
    assert len(rows(lib_config, "SELECT * FROM resource WHERE kind = 'h5p'")) == 2
    assert rows(lib_config, "SELECT key FROM h5p_library") == [(LIB,)]
    assert rows(lib_config, "SELECT count(*) FROM h5p_file WHERE owner LIKE 'library:%'") == [(5,)]
    content_bytes = sum(len(v) for k, v in h5p_files(h5p_json("Le plus long fleuve"),
                                                     content_json("Le plus long fleuve de France ?", "Loire")).items()
                        if k in ("h5p.json", "content/content.json"))
    assert second.bytes_written == content_bytes  # the library's files were not copied again


def test_a_newer_patch_replaces_the_library_for_every_content(lib_config, tmp_path):
    import_path(lib_config, write_h5p(tmp_path / "a.h5p"))
    store = BlobStore(lib_config.data_dir)
    old_script = hashlib.sha256((LIBRARY_DIR / "classbox-question.js").read_bytes()).hexdigest()
    new_script = b"/* 1.0.3 */ var H5P = H5P || {}; H5P.ClassboxQuestion = function () {};"
    files = h5p_files(h5p_json("Le plus long fleuve"), content_json("Fleuve ?", "Loire"))
    files.update(library_files(patch=3, script=new_script))
    assert import_path(lib_config, write_h5p(tmp_path / "b.h5p", files)).status == "added"
    assert rows(lib_config, "SELECT key, patch FROM h5p_library") == [(LIB, 3)]
    sha = dict(rows(lib_config, "SELECT path, sha256 FROM h5p_file WHERE owner = ?", [f"library:{LIB}"]))
    assert store.path(sha["classbox-question.js"]).read_bytes() == new_script
    assert not store.has(old_script)  # the older patch is gone for the first exercise too
    # an older patch arriving later does not downgrade it; its exercise is still added
    assert import_path(lib_config, second_question(tmp_path, "c.h5p", patch=1)).status == "added"
    assert rows(lib_config, "SELECT key, patch FROM h5p_library") == [(LIB, 3)]


def test_an_h5p_without_its_libraries_imports_when_the_box_has_them(lib_config, tmp_path):
    import_path(lib_config, write_h5p(tmp_path / "a.h5p"))
    assert import_path(lib_config, second_question(tmp_path, with_library=False)).status == "added"


def test_removing_an_h5p_keeps_the_library_other_exercises_use(lib_config, tmp_path):
    first = import_path(lib_config, write_h5p(tmp_path / "a.h5p"))
    import_path(lib_config, second_question(tmp_path))
    store = BlobStore(lib_config.data_dir)
    answer = dict(rows(lib_config, "SELECT path, sha256 FROM h5p_file WHERE owner = ?",
                       [f"content:{first.pack}"]))["content/content.json"]
    assert remove_pack(lib_config, first.pack) == 1
    assert not store.has(answer)
    assert rows(lib_config, "SELECT count(*) FROM h5p_file WHERE owner = ?", [f"content:{first.pack}"]) == [(0,)]
    for (sha,) in rows(lib_config, "SELECT sha256 FROM h5p_file WHERE owner = ?", [f"library:{LIB}"]):
        assert store.has(sha)


def test_the_cli_imports_an_h5p(runner, lib_config, tmp_path):
    result = runner.invoke(cli, ["--data-dir", str(lib_config.data_dir), "library", "import",
                                 str(write_h5p(tmp_path / "capitale.h5p"))],
                           env={"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_LIBRARY_MIN_FREE_MB": "1"})
    assert result.exit_code == 0, result.output
    assert "added (1 resources)" in result.output
    assert rows(lib_config, "SELECT title, kind FROM resource") == [("La capitale de la France", "h5p")]


def test_the_cli_imports_an_h5p_from_a_url(runner, lib_config, tmp_path):
    from tests.library.test_cli import PackServer

    with PackServer(write_h5p(tmp_path / "capitale.h5p").read_bytes(), cut_first=False) as server:
        url = server.url.replace("sciences.zip", "capitale.h5p")
        result = runner.invoke(cli, ["--data-dir", str(lib_config.data_dir), "library", "import", url],
                               env={"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_LIBRARY_MIN_FREE_MB": "1"})
    assert result.exit_code == 0, result.output
    assert rows(lib_config, "SELECT title, kind FROM resource") == [("La capitale de la France", "h5p")]


def test_the_cli_refuses_a_bad_h5p_and_says_why(runner, lib_config, tmp_path):
    files = h5p_files()
    files["content/shell.php"] = b"<?php system($_GET['c']);"
    result = runner.invoke(cli, ["--data-dir", str(lib_config.data_dir), "library", "import",
                                 str(write_h5p(tmp_path / "evil.h5p", files))],
                           env={"CLASSBOX_CONFIG": os.devnull, "CLASSBOX_LIBRARY_MIN_FREE_MB": "1"})
    assert result.exit_code == 1
    assert "import refused, library unchanged: content/shell.php: .php files are not allowed" in result.output


def _without(name: str) -> dict:
    files = h5p_files()
    del files[name]
    return files


def _with(name: str, data: bytes, **changes) -> dict:
    files = h5p_files(**changes)
    files[name] = data
    return files


def _symlink(path):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in h5p_files().items():
            zf.writestr(name, data)
        link = zipfile.ZipInfo("content/images/passwd.json")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    return path


def _two_gigabytes(path):
    files = h5p_files()
    files["content/video.mp4"] = b"\0" * 64
    return declare_size(write_h5p(path, files, zipfile.ZIP_STORED), "content/video.mp4", 2 * 1024 * MB)


BAD = {
    "missing h5p.json": (lambda p: write_h5p(p, h5p_files(b"")), "no h5p.json at the root",
                         "il n'y a pas de h5p.json"),
    "broken h5p.json": (lambda p: write_h5p(p, h5p_files('{"title": "Cassé",'.encode())), "h5p.json is not valid JSON",
                        "JSON invalide"),
    "h5p.json without mainLibrary": (lambda p: write_h5p(p, h5p_files({**h5p_json(), "mainLibrary": None})),
                                     "h5p.json has no mainLibrary", "le champ mainLibrary manque"),
    "h5p.json without dependencies": (lambda p: write_h5p(p, h5p_files({"title": "Sans", "mainLibrary": "X"})),
                                      "has no preloadedDependencies", "preloadedDependencies manque"),
    "broken content.json": (lambda p: write_h5p(p, _with("content/content.json", b"{nope")),
                            "content/content.json is not valid JSON", "JSON invalide"),
    "missing content.json": (lambda p: write_h5p(p, _without("content/content.json")),
                             "no content/content.json", "content/content.json manque"),
    "missing dependency": (lambda p: write_h5p(p, h5p_files(with_library=False)),
                           "needs the library H5P.ClassboxQuestion 1.0", "exportez-le avec ses bibliothèques"),
    "missing dependency of a library": (
        lambda p: write_h5p(p, _with(f"{LIB}/library.json", json.dumps({
            **json.loads(library_files()[f"{LIB}/library.json"]),
            "preloadedDependencies": [{"machineName": "H5P.Question", "majorVersion": 1, "minorVersion": 5}]}).encode())),
        "needs the library H5P.Question 1.5", "H5P.Question 1.5"),
    "library.json of another version": (
        lambda p: write_h5p(p, _with(f"{LIB}/library.json", json.dumps({
            **json.loads(library_files()[f"{LIB}/library.json"]), "minorVersion": 2}).encode())),
        "does not describe H5P.ClassboxQuestion-1.0", "library.json ne lui correspond pas"),
    ".php in the content": (lambda p: write_h5p(p, _with("content/shell.php", b"<?php ?>")),
                            ".php files are not allowed", "content/shell.php"),
    ".exe in a library": (lambda p: write_h5p(p, _with(f"{LIB}/setup.exe", b"MZ\x90\0")),
                          ".exe files are not allowed", "setup.exe"),
    ".js in the content": (lambda p: write_h5p(p, _with("content/steal.js", b"fetch('/')")),
                           ".js files are not allowed", "content/steal.js"),
    "file beside the content": (lambda p: write_h5p(p, _with("notes.txt", b"hello")),
                                "neither content/ nor a library folder", "hors du dossier content"),
    "zip-slip": (lambda p: write_h5p(p, _with("content/../../../etc/cron.d/x.json", b"{}")),
                 "outside the pack", "sortirait de son dossier"),
    "absolute path": (lambda p: write_h5p(p, _with("/tmp/evil.json", b"{}")),
                      "unsafe path", "sortirait de son dossier"),
    "symbolic link": (_symlink, "symbolic link in the zip", "lien symbolique"),
    "zip bomb": (lambda p: write_h5p(p, _with("content/big.json", bytes(8 * MB))),
                 "suspicious compression ratio for 'content/big.json' (zip bomb?)", "bombe zip"),
    "2 GB declared": (_two_gigabytes, "too large once unpacked (more than 1024 MB)", "plus de 1024 Mo"),
    "not a zip": (lambda p: p.write_bytes(b"<html>not a zip</html>") and p, "not a readable zip file",
                  "pas un zip lisible"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_h5p_is_refused_with_a_clear_error_and_nothing_stored(lib_config, tmp_path, case):
    if case == "missing dependency":
        prepare_data_dir(lib_config).conn.close()  # an empty box: the library is nowhere
    else:
        import_path(lib_config, write_h5p(tmp_path / "good.h5p"))  # the box already holds an exercise
    before = state(lib_config)
    make, english, french = BAD[case]
    path = make(tmp_path / "bad.h5p") or tmp_path / "bad.h5p"
    with pytest.raises(PackError) as refused:
        import_path(lib_config, path)
    assert english in str(refused.value)
    assert refused.value.shown and french in refused.value.shown % refused.value.params
    assert state(lib_config) == before


def test_hidden_files_of_a_mac_zip_are_skipped_not_stored(lib_config, tmp_path):
    files = h5p_files()
    files.update({"__MACOSX/content/._content.json": b"\0\5\26\7", "content/.DS_Store": b"\0\0\0\1Bud1",
                  f"{LIB}/.hidden.php": b"<?php ?>"})
    result = import_path(lib_config, write_h5p(tmp_path / "mac.h5p", files))
    assert result.status == "added"
    paths = {p for (p,) in rows(lib_config, "SELECT path FROM h5p_file")}
    assert paths == {"h5p.json", "content/content.json", "library.json", "semantics.json", "classbox-question.js",
                     "classbox-question.css", "language/fr.json"}
