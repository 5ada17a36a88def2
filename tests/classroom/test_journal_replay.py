"""A class's writes acked through the answer journal are all there after a power cut (push, join, answer)."""

from __future__ import annotations

import shutil
import uuid

from classbox.classroom import store
from classbox.storage import journal as answer_journal
from classbox.storage import open_database
from classbox.storage.writer import GroupWriter
from classbox.web.datadir import prepare_data_dir


def test_a_push_a_join_and_an_answer_acked_before_a_power_cut_are_there_after_it(config, tmp_path):
    prepare_data_dir(config).conn.close()
    writer = GroupWriter(config.data_dir, journal=True, settle_s=3600, max_pending_s=3600)
    session = writer.run(lambda db: store.create_session(db, {"id": 1, "login": "t"}, "CM2"))  # committed
    activity = store.new_activity(session["id"], "quiz", {"kind": "number", "question": "6 x 7 ?", "correct": 42}, None)
    writer.run(lambda db: store.add_activity(db, activity), journaled=True)
    pupil = writer.run(lambda db: store.add_pupil(db, session, "Léa", 30), journaled=True)
    sid = uuid.uuid4().hex
    writer.run(lambda db: store.record_submission(db, {"id": sid, "answer": 42}, pupil, session,
                                                    store.get_activity(db, activity["id"]), "42", True),
               journaled=True)
    assert writer.commits == 1  # the session's own: the three others acked by the journal alone
    cut = tmp_path / "cut"
    cut.mkdir()
    for name in ("classbox.db", "classbox.db-wal", answer_journal.FILENAME):
        shutil.copyfile(config.data_dir / name, cut / name)
    assert answer_journal.recover_data_dir(cut) == (3, 0)
    db = open_database(cut)
    try:
        assert store.get_session(db, session["id"])["current_activity_id"] == activity["id"]
        assert store.get_activity(db, activity["id"])["spec"]["question"] == "6 x 7 ?"
        assert store.get_pupil(db, pupil["id"])["name"] == "Léa"
        assert store.get_submission(db, sid)["pupil_id"] == pupil["id"]
        keys = {row[0] for row in db.execute("SELECT idempotency_key FROM outbox")}
        assert len(keys) == 2  # the attendance and the answer, for the ENT
        seqs = [row[0] for row in db.execute("SELECT seq FROM classroom_submissions UNION ALL "
                                             "SELECT seq FROM classroom_pupils UNION ALL SELECT seq FROM classroom_activities")]
        assert db.execute("SELECT value FROM sequence WHERE name = 'records'").fetchone()[0] >= max(seqs)
    finally:
        db.conn.close()
