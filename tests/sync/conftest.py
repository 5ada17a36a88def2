"""Fixtures for the sync tests: configs pointing at real peers, classroom-like payloads."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from classbox.storage import open_database
from classbox.sync import records
from classbox.sync.outbox import enqueue
from classbox.web.datadir import prepare_data_dir
from tests import helpers
from tests.sync.peers import DavServer, Ralph


def synced_config(tmp_path: Path, name: str = "box", **overrides):
    """A config on its own data dir (migrated), isolated from the machine's env."""
    values = {"data_dir": tmp_path / name, "sync.interval_s": 0.2, "sync.timeout_s": 5.0, "sync.retry_base_s": 2.0,
              "discovery.enabled": False, "box.id": f"cb-{uuid.uuid4().hex[:10]}"}
    values.update(overrides)
    config = helpers.make_config(**values)
    prepare_data_dir(config).conn.close()
    return config


@pytest.fixture
def open_db():
    """open_database for a test; every database it opened is closed at teardown (Python 3.13
    warns about a connection left to the garbage collector, and warnings are errors)."""
    opened = []

    def opener(data_dir: Path):
        db = open_database(data_dir)
        opened.append(db)
        return db
    yield opener
    for db in opened:
        db.conn.close()


def secret(tmp_path: Path, name: str, value: str) -> str:
    path = tmp_path / f"{name}.secret"
    path.write_text(value + "\n")
    return str(path)


def lrs_config(tmp_path: Path, ralph: Ralph, **overrides):
    """A config delivering to this ralph."""
    return synced_config(tmp_path, **{"sync.xapi.endpoint": ralph.endpoint,
                                    "sync.xapi.username": ralph.username,
                                    "sync.xapi.password_file": secret(tmp_path, "lrs", ralph.password),
                                    **overrides})


def answer_payload(n: int, statement_id: str, pupil: str = "p-1", name: str = "Léa",
                   response: str | None = None) -> dict:
    """An answer record, built like the classroom builds it (classbox.sync.records)."""
    return records.answered({"id": pupil, "name": name},
                            {"id": 1, "code": "ABC123", "title": "CM2 sciences", "teacher": "mme.martin"},
                            {"id": f"q-{n % 7}", "type": "quiz", "title": "Le cycle de l'eau",
                             "question": "Où va la pluie ?", "interaction": "choice",
                             "choices": [{"id": str(i), "text": text} for i, text in enumerate(["mer", "nuage", "sol"])]},
                            response if response is not None else f"réponse {n}", n % 2 == 0)


def enqueue_answers(db, count: int, target: str = "lrs", start: int = 0) -> list[str]:
    """Queue `count` answers; returns their statement ids in seq order."""
    ids = []
    with db.conn:
        for n in range(start, start + count):
            sid = str(uuid.uuid4())
            enqueue(db, "xapi", target, answer_payload(n, sid, pupil=f"p-{n % 30}"), sid, f"p-{n % 30}")
            ids.append(sid)
    return ids


def stored_ids(ralph: Ralph, box: str) -> list[str]:
    """Ids the LRS holds for one box, in storage order (duplicates kept)."""
    return [s["id"] for s in ralph.stored()
            if s.get("context", {}).get("extensions", {}).get(f"http://{box}.classbox.invalid/xapi/ext/box") == box]


@pytest.fixture(scope="module")
def ralph(tmp_path_factory):
    """One ralph for a test module (tests tell their statements apart by box id)."""
    server = Ralph(tmp_path_factory.mktemp("ralph")).start()
    yield server
    server.stop()


@pytest.fixture
def dav(tmp_path):
    server = DavServer(tmp_path / "dav").start()
    yield server
    server.stop()
