"""An app or classroom writer closed in a running process lets go of its data dir: the answers it
acked are committed, no file stays open, and the next one on the same data dir gets the answer
journal (whose lock an open descriptor would keep: "answer journal off in this process")."""

from __future__ import annotations

import threading

import pytest

from classbox import close_app, create_app
from classbox.classroom import store
from classbox.storage import open_database
from classbox.storage.writer import GroupWriter
from classbox.web.datadir import prepare_data_dir
from tests.descriptors import open_descriptors
from tests.helpers import wait_until


def files_open_under(folder) -> list[str]:
    """Descriptors of this process pointing into folder."""
    return [target for target in open_descriptors().values() if target.startswith(str(folder))]


def journaled_writer(data_dir) -> GroupWriter:
    return GroupWriter(data_dir, journal=True, settle_s=3600, max_pending_s=3600)


def test_a_closed_writer_commits_what_the_journal_acked_and_closes_its_files(config):
    prepare_data_dir(config).conn.close()
    writer = journaled_writer(config.data_dir)
    session = writer.run(lambda db: store.create_session(db, {"id": 1, "login": "t"}, "CM2"))
    pupil = writer.run(lambda db: store.add_pupil(db, session, "Léa", 30), journaled=True)
    assert writer.pending, "the pupil's row should wait in the journal"
    writer.close()
    assert files_open_under(config.data_dir) == []
    db = open_database(config.data_dir)
    try:
        assert store.get_pupil(db, pupil["id"])["name"] == "Léa"
    finally:
        db.conn.close()
    again = journaled_writer(config.data_dir)
    again.run(lambda db: store.add_pupil(db, session, "Tom", 30), journaled=True)
    assert again.journal is not None, "the closed writer's journal lock was not released"
    again.close()


def test_a_write_after_close_is_refused_not_left_waiting(config):
    prepare_data_dir(config).conn.close()
    writer = journaled_writer(config.data_dir)
    writer.run(lambda db: store.create_session(db, {"id": 1, "login": "t"}, "CM2"))
    writer.close()
    writer.close()  # twice: nothing more to do
    with pytest.raises(RuntimeError, match="closed"):
        writer.run(lambda db: None)
    never_started = journaled_writer(config.data_dir)
    never_started.close()
    with pytest.raises(RuntimeError, match="closed"):
        never_started.run(lambda db: None)
    assert files_open_under(config.data_dir) == []


def test_a_closed_app_leaves_no_file_of_its_data_dir_open(config):
    app = create_app(config)
    app.config.update(TESTING=True)
    classroom = app.extensions["classroom"]
    session = classroom.writer.run(lambda db: store.create_session(db, {"id": 1, "login": "t"}, "CM2"))
    with app.test_client() as client:
        assert client.get("/healthz").status_code == 200
    assert files_open_under(config.data_dir), "the app should hold its database and journal open"
    close_app(app)
    assert files_open_under(config.data_dir) == []
    second = create_app(config)
    try:
        second.extensions["classroom"].writer.run(lambda db: store.add_pupil(db, session, "Léa", 30), journaled=True)
        assert second.extensions["classroom"].writer.journal is not None
    finally:
        close_app(second)


def test_a_writer_gathering_a_group_closes_without_waiting_for_its_window(config):
    prepare_data_dir(config).conn.close()
    writer = GroupWriter(config.data_dir, gather_ms=600_000)  # a 10-minute window for company
    queued = writer.queue(lambda db: db.execute("INSERT INTO box_state (key, value) VALUES ('last', '1')"))
    assert wait_until(lambda: writer.gathering == 1, 15, 0.01), "the write should wait for company"
    closed = threading.Event()
    threading.Thread(target=lambda: (writer.close(), closed.set()), daemon=True).start()
    assert closed.wait(60), "close() waited for the gathering window"
    assert queued.done.is_set() and queued.error is None
    db = open_database(config.data_dir)
    try:
        assert db.execute("SELECT value FROM box_state WHERE key = 'last'").fetchone() == ("1",)
    finally:
        db.conn.close()
