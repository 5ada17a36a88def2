"""A session opened for a class and the class members its pupils are (classroom migration m003)."""

from __future__ import annotations

from classbox.auth.users import find_user
from classbox.classes import store as classes
from classbox.classroom import store
from classbox.storage.migrations import migrate
from classbox.features import migration_sets


def test_sessions_and_pupils_remember_their_class_and_member(db, teacher, teacher_id):
    me = find_user(db, teacher[0])
    klass = classes.create_class(db, teacher_id, "CP bleu", ["CP"])
    lea, = classes.add_members(db, teacher_id, klass["id"], [{"name": "Léa"}])
    with db.conn:
        monday = store.create_session(db, me, "Lundi", class_id=klass["id"])
        thursday = store.create_session(db, me, "Jeudi", class_id=klass["id"])
        free = store.create_session(db, me, "Sans classe")
        first = store.add_pupil(db, monday, "Léa", 40, member_id=lea["id"])
        second = store.add_pupil(db, thursday, "Léa", 40, member_id=lea["id"])
        typed = store.add_pupil(db, free, "Tom", 40)
    assert [s["id"] for s in store.class_sessions(db, klass["id"])] == [monday["id"], thursday["id"]]
    assert free["class_id"] is None and monday["class_id"] == klass["id"]
    assert store.member_pupil(db, monday["id"], lea["id"])["id"] == first["id"]
    assert [p["id"] for p in store.member_pupils(db, lea["id"])] == [first["id"], second["id"]]
    assert store.get_pupil(db, typed["id"])["member_id"] is None


def test_the_migration_is_applied_at_start(db):
    assert migrate(db, migration_sets()) == []  # applied at start, nothing pending
    columns = {c.name for c in db["classroom_sessions"].columns} | {c.name for c in db["classroom_pupils"].columns}
    assert {"class_id", "member_id"} <= columns
