"""Archived classes: read-only from `[privacy] class_archive` (or by hand) with no new session, progress and
exports kept, restored by hand before the erase date; erased on class_year_end as before. Fixed clock."""

from __future__ import annotations

import datetime
import re

import pytest

from classbox.classes import archive
from classbox.classes import store as classes
from classbox.classes.privacy import purge_expired
from tests.helpers import ack

SEPT_2026 = datetime.date(2026, 9, 2)  # a class made at the start of the 2026-2027 school year


@pytest.fixture
def on_day(monkeypatch):
    """Fix the box's date: on_day(date)."""
    return lambda day: monkeypatch.setattr(archive, "today", lambda: day)


@pytest.fixture
def cp(db, teacher_id):
    """Mme Martin's CP class of 2026-2027 with Léa: archived on 10 July 2027, erased on 1 September 2027."""
    made = classes.create_class(db, teacher_id, "CP 2026-2027", ["CP"], today=SEPT_2026)
    classes.add_members(db, teacher_id, made["id"], [{"name": "Léa"}])
    return made


def test_a_class_is_archived_on_class_archive_and_erased_after_class_year_end(db, teacher_id, cp, on_day):
    on_day(datetime.date(2027, 7, 9))
    assert classes.get_class(db, teacher_id, cp["id"])["archived_on"] is None
    classes.add_members(db, teacher_id, cp["id"], [{"name": "Tom"}])  # still active the day before
    on_day(datetime.date(2027, 7, 10))
    shown = classes.get_class(db, teacher_id, cp["id"])
    assert (shown["archived_on"], shown["erased_on"]) == ("2027-07-10", "2027-09-01")
    with pytest.raises(Exception, match="archived_class"):
        classes.add_members(db, teacher_id, cp["id"], [{"name": "Zoé"}])
    lea = shown["members"][0]
    with pytest.raises(Exception, match="archived_class"):
        classes.update_member(db, teacher_id, cp["id"], lea["id"], name="Léane")
    assert purge_expired(db, datetime.date(2027, 8, 31)) == (0, 0), "archived, not erased"
    assert purge_expired(db, datetime.date(2027, 9, 1)) == (1, 2)


def test_a_class_made_in_the_summer_is_for_the_next_school_year(db, teacher_id):
    made = classes.create_class(db, teacher_id, "CE1 2027-2028", ["CE1"], today=datetime.date(2027, 7, 20))
    row = db.execute("SELECT archive_on, retain_until FROM classes WHERE id = ?", [made["id"]]).fetchone()
    assert row == ("2028-07-10", "2028-08-31")


def test_a_configured_archive_day(db, teacher_id):
    made = classes.create_class(db, teacher_id, "CM2", ["CM2"], year_end="07-31", today=SEPT_2026,
                                archive_md="06-30")
    row = db.execute("SELECT archive_on, retain_until FROM classes WHERE id = ?", [made["id"]]).fetchone()
    assert row == ("2027-06-30", "2027-07-31")


@pytest.mark.parametrize("env, message", [
    ({"CLASSBOX_PRIVACY_CLASS_ARCHIVE": "7-10"}, "class_archive: '7-10' is not a day MM-DD"),
    ({"CLASSBOX_PRIVACY_CLASS_ARCHIVE": "02-30"}, "class_archive: '02-30' is not a day MM-DD"),
    ({"CLASSBOX_PRIVACY_CLASS_YEAR_END": "08-32"}, "class_year_end: '08-32' is not a day MM-DD"),
    ({"CLASSBOX_PRIVACY_CLASS_ARCHIVE": "09-15"}, "must come before class_year_end '08-31'"),
    ({"CLASSBOX_PRIVACY_CLASS_ARCHIVE": "08-31"}, "must come before class_year_end '08-31'"),
])
def test_the_archive_day_is_a_checked_config_key(config, env, message):
    from classbox.config import ConfigError, load_config

    assert config["privacy"]["class_archive"] == "07-10"
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path="/dev/null", env=env, overrides={"data_dir": config.data_dir})
    moved = load_config(path="/dev/null", env={"CLASSBOX_PRIVACY_CLASS_ARCHIVE": "06-05",
                                               "CLASSBOX_PRIVACY_CLASS_YEAR_END": "07-05"},
                        overrides={"data_dir": config.data_dir})
    assert moved["privacy"]["class_archive"] == "06-05"


def test_no_session_opens_for_an_archived_class(client, login, teacher, socketio_client, cp, on_day):
    login(teacher)
    sio = socketio_client()
    on_day(datetime.date(2027, 7, 10))
    refused = ack(sio, "open_session", {"title": "Lecture", "class_id": cp["id"]})
    assert refused["ok"] is False and refused["error"] == "archived_class"
    assert "archivée" in refused["message"]
    on_day(datetime.date(2027, 7, 9))
    assert ack(sio, "open_session", {"title": "Lecture", "class_id": cp["id"]})["ok"]


def test_an_archived_class_page_is_read_only_with_its_progress_and_exports(client, login, teacher, cp, on_day):
    login(teacher)
    on_day(datetime.date(2027, 7, 12))
    base = f"/teacher/classes/{cp['id']}"
    page = client.get(base).get_data(as_text=True)
    assert "Classe archivée le 10 juillet 2027 ; effacée le 1 septembre 2027." in page
    assert 'id="form-add"' not in page and "Retirer" not in page and 'id="secrets"' not in page
    assert client.post(f"{base}/members", data={"name": "Intrus"}, follow_redirects=True).status_code == 200
    assert "Intrus" not in client.get(base).get_data(as_text=True)
    response = client.post(f"/api/classes/{cp['id']}/members", json=[{"name": "Intrus"}])
    assert response.status_code == 409 and response.get_json()["error"] == "archived_class"
    lea = client.get(f"/api/classes/{cp['id']}").get_json()["members"][0]
    assert client.delete(f"/api/classes/{cp['id']}/members/{lea['id']}").status_code == 409
    assert client.put(f"/api/classes/{cp['id']}/secrets", json={"enabled": True}).status_code == 409
    progress = client.get(f"{base}/progress").get_data(as_text=True)
    assert "Classe archivée le 10 juillet 2027" in progress
    for tail in ("progress.csv", "progress.csv?detail=answers", f"members/{lea['id']}/progress",
                 f"members/{lea['id']}/progress.csv", f"members/{lea['id']}/report"):
        assert client.get(f"{base}/{tail}").status_code == 200, tail
    english = client.get(base, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Class archived on 10 July 2027; erased on 1 September 2027." in english


def test_a_teacher_archives_by_hand_and_restores_before_the_erase_date(client, login, teacher, cp, on_day):
    login(teacher)
    on_day(datetime.date(2027, 3, 1))
    base = f"/teacher/classes/{cp['id']}"
    assert client.post(f"{base}/archive", data={"archived": "1"}).status_code == 302
    assert "Classe archivée le 1 mars 2027" in client.get(base).get_data(as_text=True)
    assert client.post(f"/api/classes/{cp['id']}/members", json=[{"name": "Tom"}]).status_code == 409
    on_day(datetime.date(2027, 7, 20))  # past the usual archive day: restored until erased
    assert client.put(f"/api/classes/{cp['id']}/archive", json={"archived": False}).get_json()["archived_on"] is None
    assert client.post(f"/api/classes/{cp['id']}/members", json=[{"name": "Tom"}]).status_code == 201
    assert client.put(f"/api/classes/{cp['id']}/archive", json={"archived": "no"}).status_code == 400
    made = client.put(f"/api/classes/{cp['id']}/archive", json={"archived": True}).get_json()
    assert (made["archived_on"], made["erased_on"]) == ("2027-07-20", "2027-09-01")
