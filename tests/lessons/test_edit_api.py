"""Editing lessons through /api/lessons/<id>: a stale version is refused (409), packs' lessons are read-only."""

from __future__ import annotations

import pytest

from classbox.auth.users import add_user

LESSON = {"format": "classbox-lesson/1", "lessons": [{"title": "Calcul mental", "steps": [
    {"type": "quiz", "kind": "number", "question": "7 × 8 ?", "correct": 56},
    {"type": "message", "text": "Bravo"},
]}]}


def signed_in(app, credentials):
    """Another browser (or tab with its own cookies) logged in as `credentials`."""
    browser = app.test_client()
    assert browser.post("/login", data={"login": credentials[0], "password": credentials[1]}).status_code == 302
    return browser


@pytest.fixture
def lesson_id(client, login, teacher) -> int:
    login(teacher)
    return client.post("/api/lessons", json=LESSON).get_json()["lessons"][0]["id"]


def test_a_save_bumps_the_version_and_replaces_title_and_steps(client, lesson_id):
    read = client.get(f"/api/lessons/{lesson_id}").get_json()
    assert read["version"] == 1
    saved = client.put(f"/api/lessons/{lesson_id}", json={"title": "Tables", "version": 1,
                                                          "steps": list(reversed(read["steps"]))})
    assert saved.status_code == 200 and saved.get_json() == {"id": lesson_id, "version": 2}
    again = client.get(f"/api/lessons/{lesson_id}").get_json()
    assert again["title"] == "Tables" and again["version"] == 2
    assert [s["type"] for s in again["steps"]] == ["message", "quiz"]


def test_two_sessions_of_a_lesson_the_second_save_is_refused_and_nothing_is_overwritten(app, client, teacher,
                                                                                       lesson_id):
    laptop, tablet = client, signed_in(app, teacher)
    seen_by_laptop = laptop.get(f"/api/lessons/{lesson_id}").get_json()
    seen_by_tablet = tablet.get(f"/api/lessons/{lesson_id}").get_json()
    first = laptop.put(f"/api/lessons/{lesson_id}", json={"title": "Version portable", "version": seen_by_laptop["version"],
                                                          "steps": seen_by_laptop["steps"][:1]})
    assert first.status_code == 200
    second = tablet.put(f"/api/lessons/{lesson_id}", json={"title": "Version tablette", "version": seen_by_tablet["version"],
                                                           "steps": []})
    assert second.status_code == 409
    body = second.get_json()
    assert body["error"] == "stale_version" and body["version"] == 2
    assert body["message"].startswith("cette leçon a été modifiée ailleurs")
    kept = laptop.get(f"/api/lessons/{lesson_id}").get_json()
    assert kept["title"] == "Version portable" and len(kept["steps"]) == 1 and kept["version"] == 2


def test_another_teacher_can_neither_edit_nor_delete_a_lesson(app, db, lesson_id, client):
    add_user(db, "m.durand", "teacher", "autre-secret-42")
    other = signed_in(app, ("m.durand", "autre-secret-42"))
    assert other.put(f"/api/lessons/{lesson_id}", json={"title": "x", "steps": [], "version": 1}).status_code == 404
    assert other.delete(f"/api/lessons/{lesson_id}").status_code == 404
    assert other.post(f"/api/lessons/{lesson_id}/duplicate").status_code == 404
    assert client.get(f"/api/lessons/{lesson_id}").get_json()["title"] == "Calcul mental"


def test_bad_edits_name_the_field_and_change_nothing(client, lesson_id):
    no_version = client.put(f"/api/lessons/{lesson_id}", json={"title": "x", "steps": []})
    assert no_version.status_code == 400 and no_version.get_json()["field"] == "version"
    bad_step = client.put(f"/api/lessons/{lesson_id}", json={"title": "x", "version": 1,
                                                             "steps": [{"type": "quiz", "kind": "single"}]})
    assert bad_step.status_code == 400 and bad_step.get_json()["field"] == "steps[0]"
    assert client.get(f"/api/lessons/{lesson_id}").get_json()["version"] == 1


def test_pack_lessons_are_refused_with_a_clear_error_and_can_be_duplicated(client, db, lesson_id):
    db.execute("INSERT INTO lessons (title, pack_id, source) VALUES ('Du pack', 'exemple', 'pack')")
    pack_lesson = db.execute("SELECT id FROM lessons WHERE pack_id = 'exemple'").fetchone()[0]
    db.execute("INSERT INTO lesson_steps (lesson_id, position, spec) VALUES (?, 0, '{\"type\": \"pause\"}')",
               [pack_lesson])
    db.conn.commit()
    refused = client.put(f"/api/lessons/{pack_lesson}", json={"title": "Mien", "steps": [], "version": 1})
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "read_only" and "dupliquez-la" in refused.get_json()["message"]
    assert client.delete(f"/api/lessons/{pack_lesson}").status_code == 403
    copy = client.post(f"/api/lessons/{pack_lesson}/duplicate")
    assert copy.status_code == 201
    mine = client.get(f"/api/lessons/{copy.get_json()['id']}").get_json()
    assert mine["title"] == "Copie de Du pack" and mine["read_only"] is False and mine["steps"] == [{"type": "pause"}]
    assert client.put(f"/api/lessons/{mine['id']}", json={"title": "Mien", "steps": [], "version": 1}).status_code == 200


def test_delete_removes_the_lesson_and_its_steps(client, db, lesson_id):
    assert client.delete(f"/api/lessons/{lesson_id}").status_code == 204
    assert client.get(f"/api/lessons/{lesson_id}").status_code == 404
    assert db.execute("SELECT count(*) FROM lesson_steps WHERE lesson_id = ?", [lesson_id]).fetchone()[0] == 0


def test_put_and_delete_need_the_csrf_token(app, client, lesson_id):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.put(f"/api/lessons/{lesson_id}", json={"title": "x", "steps": [], "version": 1}).status_code == 400
    assert client.delete(f"/api/lessons/{lesson_id}").status_code == 400
    assert client.post(f"/teacher/lessons/{lesson_id}/order", data={"order": "1,0", "version": "1"}).status_code == 400
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.get(f"/api/lessons/{lesson_id}").get_json()["version"] == 1
