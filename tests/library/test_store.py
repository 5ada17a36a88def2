"""The blob store: sharded content addressing, names checked first, dedup, verify, extra roots."""

from __future__ import annotations

import hashlib
import io

import pytest

from classbox.library.store import BlobError, BlobStore, shard, valid_sha


def test_blobs_are_sharded_by_their_sha256(tmp_path):
    store = BlobStore(tmp_path)
    sha = store.write_bytes(b"bonjour")
    assert sha == hashlib.sha256(b"bonjour").hexdigest()
    assert (tmp_path / "blobs" / sha[:2] / sha[2:4] / sha).read_bytes() == b"bonjour"
    assert list((tmp_path / "tmp").iterdir()) == []  # the temp file was renamed into place


def test_same_content_is_stored_once(tmp_path):
    store = BlobStore(tmp_path)
    assert store.write_bytes(b"x") == store.write_bytes(b"x")
    assert len(list(store.iter_blobs())) == 1


@pytest.mark.parametrize("name", ["", "abc", "A" * 64, "g" * 64, "0" * 63, "0" * 65, "../" + "0" * 61,
                                  "0" * 62 + "/x", "0" * 63 + "\n"])
def test_bad_names_never_touch_the_disk(tmp_path, name):
    assert not valid_sha(name)
    with pytest.raises(BlobError):
        shard(tmp_path, name)
    assert BlobStore(tmp_path).find(name) is None


def test_expected_sha_mismatch_leaves_nothing(tmp_path):
    store = BlobStore(tmp_path)
    with pytest.raises(BlobError, match="mismatch"):
        store.write_stream(io.BytesIO(b"data"), expected_sha="0" * 64)
    assert list(store.iter_blobs()) == [] and list((tmp_path / "tmp").iterdir()) == []


def test_verify_quarantines_and_reports_corrupt_blobs(tmp_path):
    store = BlobStore(tmp_path)
    good, bad = store.write_bytes(b"sain"), store.write_bytes(b"abime")
    store.path(bad).write_bytes(b"bit rot")
    report = store.verify()
    assert report.checked == 2 and report.corrupt == [bad]
    assert not store.has(bad) and (tmp_path / "quarantine" / bad).read_bytes() == b"bit rot"
    assert store.has(good)


def test_extra_roots_are_searched_after_the_main_store(tmp_path):
    usb = tmp_path / "usb"
    sha = hashlib.sha256(b"sur la cle").hexdigest()
    shard(usb, sha).parent.mkdir(parents=True)
    shard(usb, sha).write_bytes(b"sur la cle")
    store = BlobStore(tmp_path / "data", extra_roots=[usb])
    assert store.find(sha) == shard(usb, sha)
    store.write_bytes(b"sur la cle")
    assert store.find(sha) == store.path(sha)  # the main store wins
    assert store.delete(sha) and shard(usb, sha).exists()  # extra roots are never written
