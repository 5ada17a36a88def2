"""One actor per class member across sessions: tap-to-join pupils, through the outbox, to a real ralph."""

from __future__ import annotations

import uuid

import pytest

from classbox import create_app
from classbox.auth.users import add_user, find_user
from classbox.classes import store as classes
from classbox.extensions import socketio
from classbox.storage import open_database
from classbox.sync.roster import import_roster
from tests.helpers import QUIZ_SPEC
from tests.sync.conftest import lrs_config
from tests.sync.test_xapi import drain

pytestmark = pytest.mark.peer

NS = "/classroom"


def two_sessions_of_a_class(config) -> dict[str, str]:
    """Léa and Tom tap to join two sessions of their class and answer a question in each: {name: member id}."""
    db = open_database(config.data_dir)
    add_user(db, "mme.martin", "teacher", "correct-horse-1", "Mme Martin")
    owner = find_user(db, "mme.martin")["id"]
    klass = classes.create_class(db, owner, "CP bleu", ["CP"])
    members = {m["name"]: m["id"] for m in classes.add_members(db, owner, klass["id"], [{"name": "Léa M."},
                                                                                       {"name": "Tom"}])}
    db.conn.close()
    app = create_app(config)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    web = app.test_client()
    assert web.post("/login", data={"login": "mme.martin", "password": "correct-horse-1"}).status_code == 302
    teacher = socketio.test_client(app, namespace=NS, flask_test_client=web)
    for title in ("Lundi", "Jeudi"):
        code = teacher.emit("open_session", {"title": title, "class_id": klass["id"]}, namespace=NS,
                            callback=True)["code"]
        quiz = teacher.emit("push", QUIZ_SPEC, namespace=NS, callback=True)["activity"]
        for member_id in members.values():
            tablet = socketio.test_client(app, namespace=NS, flask_test_client=app.test_client())
            joined = tablet.emit("join", {"code": code, "member_id": member_id}, namespace=NS, callback=True)
            assert joined["ok"], joined
            sent = tablet.emit("submit", {"activity_id": quiz["id"], "submission_id": str(uuid.uuid4()), "answer": 1},
                               namespace=NS, callback=True)
            assert sent["ok"], sent
            tablet.disconnect(namespace=NS)
        assert teacher.emit("close_session", {}, namespace=NS, callback=True)["ok"]
    teacher.disconnect(namespace=NS)
    app.extensions["classbox_db_pool"].close()
    return members


def _ours(ralph, config) -> list[dict]:
    box = config["box"]["id"]
    return [s for s in ralph.stored()
            if s["context"]["extensions"].get(f"http://{box}.classbox.invalid/xapi/ext/box") == box]


def test_the_lrs_sees_one_pseudonymous_actor_per_member_across_sessions(tmp_path, ralph):
    config = lrs_config(tmp_path, ralph)
    members = two_sessions_of_a_class(config)
    assert drain(config)["dead"] == 0
    statements = _ours(ralph, config)
    assert len(statements) == 8  # 2 sessions × 2 pupils × (attended + answered)
    per_actor: dict[str, int] = {}
    for statement in statements:
        name = statement["actor"]["account"]["name"]
        per_actor[name] = per_actor.get(name, 0) + 1
    assert per_actor == {member_id: 4 for member_id in members.values()}  # the member's id, in both sessions


def test_the_roster_maps_a_member_to_its_ent_login(tmp_path, ralph):
    config = lrs_config(tmp_path, ralph, **{"sync.xapi.ent_homepage": "https://ent.example.fr"})
    db = open_database(config.data_dir)
    import_roster(db, "pseudonyme;login\nLéa M.;lea.martin\n")
    db.conn.close()
    members = two_sessions_of_a_class(config)
    assert drain(config)["dead"] == 0
    by_actor = {}
    for statement in _ours(ralph, config):
        account = statement["actor"]["account"]
        by_actor.setdefault((account["homePage"], account["name"]), 0)
        by_actor[(account["homePage"], account["name"])] += 1
    assert by_actor == {("https://ent.example.fr", "lea.martin"): 4, (f"http://{config['box']['id']}.classbox.invalid",
                                                                     members["Tom"]): 4}
