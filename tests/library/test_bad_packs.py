"""Bad packs refused cleanly: hostile and broken zips, zip bombs, truncated and corrupt members,
symlinks; the library is left as it was."""

from __future__ import annotations

import json
import stat
import warnings
import zipfile

import pytest

from classbox.library import PackError, import_path
from tests.library.conftest import FILES, library_state, manifest, write_folder, write_zip


def _zip_with(tmp_path, entries: list[tuple[zipfile.ZipInfo | str, bytes]], data=None):
    path = tmp_path / "bad.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name we want
        zf.writestr("classbox-pack.json", json.dumps(data or manifest()))
        for info, content in entries:
            zf.writestr(info, content)
    return path


def _symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _raw_name_zip(tmp_path):
    """A zip whose member name is Latin-1 bytes (not UTF-8), without the UTF-8 flag."""
    path = write_zip(tmp_path / "latin1.zip", manifest(), {**FILES, "textes/XXXXX.txt": b"x"})
    data = path.read_bytes().replace(b"textes/XXXXX.txt", "textes/\xe9t\xe9XX.txt".encode("latin-1"))
    path.write_bytes(data)
    return path


def _garbage(path):
    path.write_bytes(b"PK\x03\x04 garbage")
    return path


BAD_ZIPS = {
    "zip-slip ../": (lambda t: _zip_with(t, [("../evil.txt", b"x")]), "outside the pack"),
    "zip-slip nested ..": (lambda t: _zip_with(t, [("lecons/../../evil.txt", b"x")]), "outside the pack"),
    "absolute path": (lambda t: _zip_with(t, [("/etc/evil", b"x")]), "absolute"),
    "drive letter": (lambda t: _zip_with(t, [("C:/Windows/evil.txt", b"x")]), "drive letter"),
    "backslash path": (lambda t: _zip_with(t, [("..\\evil.txt", b"x")]), "backslash"),
    "symlink": (lambda t: _zip_with(t, [*FILES.items(), (_symlink_info("lien"), b"/etc/passwd")]), "symbolic link"),
    "zip bomb ratio": (lambda t: _zip_with(t, [*FILES.items(), ("bombe.bin", b"\0" * 20_000_000)]), "zip bomb"),
    "duplicate member": (lambda t: _zip_with(t, [*FILES.items(), ("textes/fable.txt", b"again")]), "duplicate"),
    "non-UTF-8 name": (_raw_name_zip, "not UTF-8"),
    "missing manifest": (lambda t: write_zip(t / "nomanifest.zip", None), "no classbox-pack.json"),
    "manifest not JSON": (lambda t: write_zip(t / "p.zip", b"{not json"), "not valid JSON"),
    "manifest not UTF-8": (lambda t: write_zip(t / "p.zip", '{"format": "é"}'.encode("latin-1")), "not UTF-8"),
    "manifest not an object": (lambda t: write_zip(t / "p.zip", b"[]"), "JSON object"),
    "unknown format version": (lambda t: write_zip(t / "p.zip", manifest(format="classbox-pack/2")), "unknown pack format"),
    "no format": (lambda t: write_zip(t / "p.zip", {k: v for k, v in manifest().items() if k != "format"}), "unknown pack format"),
    "missing title": (lambda t: write_zip(t / "p.zip", {k: v for k, v in manifest().items() if k != "title"}), "missing \"title\""),
    "bad id": (lambda t: write_zip(t / "p.zip", manifest(id="../Pack")), "id must be"),
    "empty resources": (lambda t: write_zip(t / "p.zip", manifest(resources=[])), "non-empty list"),
    "unknown kind": (lambda t: write_zip(t / "p.zip", manifest(resources=[{"path": "textes/fable.txt", "title": "x", "kind": "hologram"}])), "unknown kind"),
    "unknown level": (lambda t: write_zip(t / "p.zip", manifest(resources=[{"path": "textes/fable.txt", "title": "x", "level": "cm9"}])), "unknown level"),
    "resource path escapes": (lambda t: write_zip(t / "p.zip", manifest(resources=[{"path": "../../etc/passwd", "title": "x"}])), "outside the pack"),
    "duplicate paths in manifest": (lambda t: write_zip(t / "p.zip", manifest(resources=[{"path": "textes/fable.txt", "title": "a"}, {"path": "textes//fable.txt", "title": "b"}])), "duplicate resource path"),
    "listed file missing": (lambda t: write_zip(t / "p.zip", manifest(resources=[{"path": "absent.pdf", "title": "x"}])), "missing from the pack"),
    "sha256 mismatch": (lambda t: write_zip(t / "p.zip", manifest(resources=[{"path": "textes/fable.txt", "title": "x", "sha256": "0" * 64}])), "sha256 mismatch"),
    "bad sha256 syntax": (lambda t: write_zip(t / "p.zip", manifest(resources=[{"path": "textes/fable.txt", "title": "x", "sha256": "ABC"}])), "64 lowercase hex"),
    "not a zip": (lambda t: _garbage(t / "p.zip"), "not a readable zip"),
}


@pytest.mark.parametrize("case", list(BAD_ZIPS), ids=list(BAD_ZIPS))
def test_bad_pack_is_refused_and_library_unchanged(lib_config, tmp_path, case):
    import_path(lib_config, write_folder(tmp_path / "good", manifest(id="deja-la")))
    before = library_state(lib_config.data_dir)
    make, message = BAD_ZIPS[case]
    with pytest.raises(PackError, match=message):
        import_path(lib_config, make(tmp_path))
    assert library_state(lib_config.data_dir) == before


def _thin_bomb(tmp_path, members: int = 150):
    """Many members of 1 MiB of zeros: each one under the per-member ratio floor, the whole a bomb."""
    chunks = [(f"morceaux/{i:03d}.bin", b"\0" * (1024 * 1024)) for i in range(members)]
    resources = [{"path": name, "title": name} for name, _ in chunks]
    return _zip_with(tmp_path, chunks, data=manifest(resources=resources))


def test_zip_bomb_spread_thin_is_refused_with_a_clear_message(lib_config, tmp_path):
    bomb = _thin_bomb(tmp_path)
    assert bomb.stat().st_size < 400_000
    import_path(lib_config, write_folder(tmp_path / "good", manifest(id="deja-la")))
    before = library_state(lib_config.data_dir)
    with pytest.raises(PackError, match="zip bomb") as refused:
        import_path(lib_config, bomb)
    assert "150 MB" in str(refused.value) and "taux de compression" in refused.value.shown_in(lambda text, **kw: text % kw)
    assert library_state(lib_config.data_dir) == before


def test_a_compressible_but_honest_pack_is_imported(lib_config, tmp_path):
    text = "".join(f"<p>Relevé {i} : {i * 7919 % 100003} mm de pluie, {i * 104729 % 997} gouttes.</p>\n"
                   for i in range(200_000)).encode()
    assert len(text) > 10 * 1024 * 1024
    pack = _zip_with(tmp_path, [("lecons/eau.html", text)],
                     data=manifest(resources=[{"path": "lecons/eau.html", "title": "Eau"}]))
    assert import_path(lib_config, pack).status == "added"


def test_total_unpacked_size_limit(lib_config, tmp_path):
    lib_config["library"]["max_pack_mb"] = 1
    big = write_zip(tmp_path / "big.zip", manifest(resources=[{"path": "a.bin", "title": "a"}]),
                    {"a.bin": bytes(range(256)) * 8000}, compression=zipfile.ZIP_STORED)
    with pytest.raises(PackError, match="too large"):
        import_path(lib_config, big)
    assert library_state(lib_config.data_dir)["tables"]["resource"] == []


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_zip_is_refused(lib_config, tmp_path, cut):
    files = {"lecons/eau.html": bytes(range(256)) * 400, "images/éléphant.svg": b"<svg/>", "textes/fable.txt": b"x"}
    path = write_zip(tmp_path / "p.zip", manifest(), files, compression=zipfile.ZIP_STORED)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(PackError):
        import_path(lib_config, path)
    assert library_state(lib_config.data_dir)["tables"]["resource"] == []


def test_corrupt_member_fails_its_crc_and_nothing_is_imported(lib_config, tmp_path):
    files = {**FILES, "lecons/eau.html": b"A" * 5000}
    path = write_zip(tmp_path / "p.zip", manifest(), files, compression=zipfile.ZIP_STORED)
    data = path.read_bytes()
    path.write_bytes(data.replace(b"A" * 100, b"B" * 100, 1))
    import_path(lib_config, write_folder(tmp_path / "good", manifest(id="deja-la")))
    before = library_state(lib_config.data_dir)
    with pytest.raises(PackError, match="damaged|CRC|Bad"):
        import_path(lib_config, path)
    assert library_state(lib_config.data_dir) == before


def test_symlink_in_a_folder_pack_is_refused(lib_config, tmp_path):
    folder = write_folder(tmp_path / "pack", manifest())
    (folder / "textes/fable.txt").unlink()
    (folder / "textes/fable.txt").symlink_to("/etc/passwd")
    with pytest.raises(PackError, match="symbolic link"):
        import_path(lib_config, folder)
    assert library_state(lib_config.data_dir)["tables"]["resource"] == []


def test_symlinked_folder_inside_a_folder_pack_is_refused(lib_config, tmp_path):
    folder = write_folder(tmp_path / "pack", manifest())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "fable.txt").write_text("secret")
    for f in (folder / "textes").iterdir():
        f.unlink()
    (folder / "textes").rmdir()
    (folder / "textes").symlink_to(outside)
    with pytest.raises(PackError, match="symbolic link"):
        import_path(lib_config, folder)
