"""Hand-ins to a real wsgidav server: paths, temp name + MOVE, faults (507, 500, hang), bad files."""

from __future__ import annotations

import hashlib
import json
import time
import uuid

import pytest

from classbox.storage import open_database
from classbox.sync import records
from classbox.sync.outbox import enqueue
from classbox.sync.runner import SyncRunner
from tests.sync.conftest import secret, synced_config
from tests.sync.peers import wait_until

pytestmark = pytest.mark.peer


def dav_config(tmp_path, dav, **extra):
    return synced_config(tmp_path, **{"sync.webdav.url": dav.url, "sync.webdav.username": dav.username,
                                    "sync.webdav.password_file": secret(tmp_path, "dav", dav.password),
                                    "sync.timeout_s": 2.0, "box.school_uai": "0330001A", **extra})


def hand_in(config, name="Mon exposé.pdf", content="%PDF-1.4 travail de Léa\n".encode() * 200,
            path=None) -> str:
    folder = config.data_dir / "submissions"
    folder.mkdir(exist_ok=True)
    (folder / "f1.bin").write_bytes(content)
    key = str(uuid.uuid4())
    payload = records.handed_in_file(path or "submissions/f1.bin", name, "application/pdf", len(content),
                                     hashlib.sha256(content).hexdigest(), {"id": "p-7f3a9c", "name": "Léa"},
                                     {"id": 1, "code": "ABC123", "title": "CM2 sciences", "teacher": "mme.martin"},
                                     {"id": "a-42", "type": "handin", "title": "Exposé"})
    db = open_database(config.data_dir)
    with db.conn:
        enqueue(db, "webdav", "workspace", payload, key, "p-7f3a9c")
    db.conn.close()
    return key


def one_pass(config, skew=0.0):
    runner = SyncRunner(config, now=lambda: time.time() + skew)
    try:
        return runner.once()
    finally:
        runner.link.close()


def visible(dav) -> dict[str, bytes]:
    """Files under a final name (temporary uploads are dot-files ending in .part)."""
    return {k: v for k, v in dav.files().items() if not k.rsplit("/", 1)[-1].startswith(".")}


def test_hand_in_lands_in_the_class_folder_with_its_metadata(tmp_path, dav):
    config = dav_config(tmp_path, dav)
    hand_in(config)
    assert one_pass(config)["delivered"] == 1
    files = dav.files()
    today = time.strftime("%Y-%m-%d", time.gmtime())
    folder = f"classbox/0330001A/CM2-sciences/{today}-ABC123/Lea-p-7f3a9c"
    assert set(files) == {f"{folder}/a-42-Mon-expose.pdf", f"{folder}/a-42-Mon-expose.pdf.json"}
    assert files[f"{folder}/a-42-Mon-expose.pdf"] == (config.data_dir / "submissions/f1.bin").read_bytes()
    import json

    meta = json.loads(files[f"{folder}/a-42-Mon-expose.pdf.json"])
    assert meta["filename"] == "Mon exposé.pdf" and meta["session"]["code"] == "ABC123"
    assert meta["sha256"] == hashlib.sha256(files[f"{folder}/a-42-Mon-expose.pdf"]).hexdigest()


def test_507_500_and_a_hang_are_retried_then_delivered_with_no_partial_file(tmp_path, dav):
    config = dav_config(tmp_path, dav)
    hand_in(config)
    dav.inject({"method": "PUT", "status": 507}, {"method": "PUT", "status": 500},
               {"method": "PUT", "hang": 4})
    skew = 0.0
    for expected in ("507", "500", "timeout"):
        skew += 4000
        summary = one_pass(config, skew)
        assert summary["retry"] == 1 and summary["delivered"] == 0
        db = open_database(config.data_dir)
        error = db.execute("SELECT last_error FROM outbox").fetchone()[0]
        db.conn.close()
        assert expected in error
        assert visible(dav) == {}  # nothing under a final name yet
    assert wait_until(lambda: dav.hangs_served() == 1, timeout=30), "the hung PUT finished on the server"
    assert one_pass(config, skew + 4000)["delivered"] == 1
    assert dav.pending_faults() == []
    files = dav.files()
    assert len(files) == 2 and all(not k.endswith(".part") for k in files)
    pdf = next(v for k, v in files.items() if k.endswith(".pdf"))
    assert pdf == (config.data_dir / "submissions/f1.bin").read_bytes()


@pytest.mark.parametrize("path", ["submissions/missing.bin", "../../../etc/passwd", "/etc/passwd"])
def test_missing_or_outside_file_goes_dead(tmp_path, dav, path):
    config = dav_config(tmp_path, dav)
    hand_in(config, path=path)
    summary = one_pass(config)
    assert summary["dead"] == 1 and dav.files() == {}


def test_file_changed_on_disk_goes_dead(tmp_path, dav):
    config = dav_config(tmp_path, dav)
    hand_in(config)
    (config.data_dir / "submissions/f1.bin").write_bytes(b"something else")
    assert one_pass(config)["dead"] == 1


def test_hostile_names_stay_inside_the_pupil_folder(tmp_path, dav):
    config = dav_config(tmp_path, dav)
    hand_in(config, name="../../../../evil\x00.sh")
    assert one_pass(config)["delivered"] == 1
    names = list(dav.files())
    assert all(n.startswith("classbox/0330001A/CM2-sciences/") for n in names)
    assert all(".." not in n.split("/") for n in names)


def test_refused_credentials_go_dead_then_retry_dead_delivers_in_seq_order(tmp_path, dav):
    """A 401 is permanent: dead with the error; fixed, `retry-dead` replays in order."""
    from classbox.sync.outbox import retry_dead

    config = dav_config(tmp_path, dav, **{"sync.webdav.password_file": secret(tmp_path, "bad", "wrong")})
    keys = [hand_in(config, name=f"devoir {n}.pdf") for n in range(3)]
    summary = one_pass(config)
    assert (summary["delivered"], summary["dead"], summary["retry"]) == (0, 3, 0)
    assert dav.files() == {}
    db = open_database(config.data_dir)
    rows = db.execute("SELECT state, last_error FROM outbox ORDER BY seq").fetchall()
    assert all(state == "dead" and "HTTP 401" in error and "[sync.webdav]" in error
               for state, error in rows)
    (tmp_path / "bad.secret").write_text(dav.password + "\n")
    assert retry_dead(db) == 3
    db.conn.close()
    assert one_pass(config)["delivered"] == 3
    meta = [json.loads(v) for k, v in sorted(dav.files().items()) if k.endswith(".json")]
    assert sorted((m["seq"], m["id"]) for m in meta) == list(enumerate(keys, start=1))
    db = open_database(config.data_dir)
    walls = [row[0] for row in db.execute("SELECT delivered_wall FROM outbox ORDER BY seq")]
    db.conn.close()
    assert walls == sorted(walls) and len(set(walls)) == 3  # uploaded one after the other, by seq
