"""RGPD: class members in `classbox privacy export|erase`, and classes erased after their end of school year."""

from __future__ import annotations

import datetime
import json

from classbox.classes import archive, store
from classbox.classes.privacy import ClassRetentionService, purge_expired
from classbox.cli import cli


def test_privacy_export_and_erase_cover_a_class_member(runner, config, db, teacher_id):
    made = store.create_class(db, teacher_id, "CM1", ["CM1"])
    lea, hugo = store.add_members(db, teacher_id, made["id"], [{"name": "Léa", "picture": "owl"}, {"name": "Hugo"}])
    exported = runner.invoke(cli, ["--data-dir", str(config.data_dir), "privacy", "export", "--pupil", lea["id"]])
    assert exported.exit_code == 0, exported.output
    [member] = json.loads(exported.output)["features"]["classes"]["members"]
    assert (member["name"], member["picture"], member["class_name"]) == ("Léa", "owl", "CM1")
    erased = runner.invoke(cli, ["--data-dir", str(config.data_dir), "privacy", "erase", "--pupil", lea["id"], "--yes"])
    assert erased.exit_code == 0 and "classes 1" in erased.output
    assert [m["name"] for m in store.get_class(db, teacher_id, made["id"])["members"]] == ["Hugo"]


def test_classes_are_erased_the_day_after_their_end_of_school_year(db, teacher_id, monkeypatch):
    monkeypatch.setattr(archive, "today", lambda: datetime.date(2025, 9, 2))  # members added before the archive day
    old = store.create_class(db, teacher_id, "CP 2025-2026", ["CP"], today=datetime.date(2025, 9, 2))
    new = store.create_class(db, teacher_id, "CE1 2026-2027", ["CE1"], today=datetime.date(2026, 9, 1))
    store.add_members(db, teacher_id, old["id"], [{"name": "Léa"}, {"name": "Hugo"}])
    store.add_members(db, teacher_id, new["id"], [{"name": "Léa"}])
    assert old["retain_until"] == "2026-08-31"
    assert purge_expired(db, datetime.date(2026, 8, 31)) == (0, 0), "kept through the last day"
    assert purge_expired(db, datetime.date(1970, 1, 1)) == (0, 0), "a clock in the past erases nothing"
    assert purge_expired(db, datetime.date(2026, 9, 1)) == (1, 2)
    assert [c["name"] for c in store.list_classes(db, teacher_id)] == ["CE1 2026-2027"]
    assert db.execute("SELECT COUNT(*) FROM class_members").fetchone()[0] == 1


def test_the_end_of_school_year_is_a_config_key(config):
    from classbox.config import load_config

    assert config["privacy"]["class_year_end"] == "08-31"
    moved = load_config(path="/dev/null", env={"CLASSBOX_PRIVACY_CLASS_YEAR_END": "07-14"},
                        overrides={"data_dir": config.data_dir})
    assert store.school_year_end(datetime.date(2027, 1, 1), moved["privacy"]["class_year_end"]).isoformat() \
        == "2027-07-14"


def test_the_agent_runs_the_class_retention(config, db, teacher_id):
    import threading

    from classbox import features

    services = [s for hook in features.hooks("agent_services") for s in hook(config)]
    retention = next(s for s in services if isinstance(s, ClassRetentionService))
    store.create_class(db, teacher_id, "Ancienne", ["CP"], today=datetime.date(2020, 9, 1))
    stop = threading.Event()
    stop.set()  # one pass, then return
    retention.run(stop)
    assert store.list_classes(db, teacher_id) == []


def test_the_privacy_help_says_which_id_erases_a_class_members_whole_year(runner):
    for command in ("export", "erase"):
        shown = runner.invoke(cli, ["privacy", command, "--help"])
        assert shown.exit_code == 0
        text = " ".join(shown.output.split())
        assert "member id" in text and "every session" in text, text
