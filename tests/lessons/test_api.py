"""/api/lessons: a teacher's own lessons (and packs'), import by JSON or file upload, export as a file."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from classbox.auth.users import add_user
from classbox.lessons.gift import parse_gift

FIXTURES = Path(__file__).parent / "fixtures"
LESSON = {"format": "classbox-lesson/1", "lessons": [{"title": "Calcul mental", "steps": [
    {"type": "quiz", "kind": "number", "question": "7 × 8 ?", "correct": 56},
    {"type": "quiz", "kind": "text", "question": "Capitale ?", "correct": ["Paris"]},
]}]}


@pytest.fixture
def other(db):
    add_user(db, "m.durand", "teacher", "autre-secret-42")
    return "m.durand", "autre-secret-42"


def upload(client, name: str, data: bytes):
    return client.post("/api/lessons", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_anonymous_calls_get_401(client):
    assert client.get("/api/lessons").status_code == 401
    assert client.post("/api/lessons", json=LESSON).status_code == 401
    assert client.get("/api/lessons/1/export").status_code == 401


def test_import_json_then_read_and_list(client, login, teacher):
    login(teacher)
    created = client.post("/api/lessons", json=LESSON)
    assert created.status_code == 201, created.get_json()
    [made] = created.get_json()["lessons"]
    assert made["title"] == "Calcul mental" and made["steps"] == 2
    lesson = client.get(f"/api/lessons/{made['id']}").get_json()
    assert lesson["steps"][0] == {"type": "quiz", "kind": "number", "question": "7 × 8 ?", "correct": 56.0,
                                  "tolerance": 0.0}
    assert [row["title"] for row in client.get("/api/lessons").get_json()["lessons"]] == ["Calcul mental"]


def test_upload_a_gift_file_reports_skipped_questions(client, login, teacher):
    login(teacher)
    response = upload(client, "fractions 5e.gift", (FIXTURES / "moodle-export.gift").read_bytes())
    assert response.status_code == 201
    body = response.get_json()
    assert body["format"] == "gift" and [lesson["steps"] for lesson in body["lessons"]] == [7, 3]
    assert body["skipped"] == [{"line": 47, "title": "Appariement", "reason": "matching questions are not supported",
                                "message": "les questions d'appariement ne sont pas prises en charge"}]


def test_errors_and_reports_follow_the_page_language(client, login, teacher):
    login(teacher)
    client.get("/lang/en?next=/teacher")
    bad = upload(client, "q.gift", b"Q {#2..1}")
    assert bad.get_json()["message"] == "line 1: reversed range 2..1 (write the smaller number first)"
    good = upload(client, "q.gift", b"Q {T}\n\nM {=a -> b =c -> d}")
    assert good.get_json()["skipped"][0]["message"] == "matching questions are not supported"


def test_a_bad_file_gives_the_line_and_saves_nothing(client, login, teacher):
    login(teacher)
    response = upload(client, "q.gift", b"$CATEGORY: A\n\nQ1 {T}\n\nQ2 {~%50%a ~%20%b}\n")
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_lesson", "line": 5, "field": None,
                                   "message": "ligne 5 : les poids des bonnes réponses font 70 %, pas 100 %",
                                   "detail": "line 5: weights of the right answers sum to 70%, not 100%"}
    bad_json = client.post("/api/lessons", json={**LESSON, "lessons": [{"title": "x", "steps": [{"type": "?"}]}]})
    assert bad_json.status_code == 400 and bad_json.get_json()["field"] == "lessons[0].steps[0].type"
    assert client.get("/api/lessons").get_json()["lessons"] == []


def test_a_teacher_never_sees_another_teachers_lessons(app, client, login, teacher, other):
    login(teacher)
    lesson_id = client.post("/api/lessons", json=LESSON).get_json()["lessons"][0]["id"]
    second = app.test_client()
    second.post("/login", data={"login": other[0], "password": other[1]})
    assert second.get("/api/lessons").get_json()["lessons"] == []
    assert second.get(f"/api/lessons/{lesson_id}").status_code == 404
    assert second.get(f"/api/lessons/{lesson_id}/export?format=gift").status_code == 404


def test_pack_lessons_are_visible_to_every_teacher_and_read_only(client, login, teacher, db):
    db.execute("INSERT INTO lessons (title, pack_id, source) VALUES ('Du pack', 'exemple', 'pack')")
    db.conn.commit()
    login(teacher)
    [row] = client.get("/api/lessons").get_json()["lessons"]
    assert row["title"] == "Du pack" and row["read_only"] is True and row["pack_id"] == "exemple"


@pytest.mark.parametrize("fmt, mime, suffix", [("gift", "text/plain", "gift"), ("json", "application/json", "json")])
def test_export_downloads_a_file_named_after_the_lesson(client, login, teacher, fmt, mime, suffix):
    login(teacher)
    upload(client, "Fractions égales.gift", (FIXTURES / "elea-windows.gift").read_bytes())
    response = client.get(f"/api/lessons/1/export?format={fmt}")
    assert response.status_code == 200 and response.mimetype == mime
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "Fractions%20%C3%A9gales." + suffix in disposition
    body = response.get_data()
    steps = parse_gift(body).lessons[0].steps if fmt == "gift" else json.loads(body)["lessons"][0]["steps"]
    assert steps == client.get("/api/lessons/1").get_json()["steps"]
    assert client.get("/api/lessons/1/export?format=pdf").status_code == 400


def test_json_post_needs_the_csrf_token(app, teacher):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"login": teacher[0], "password": teacher[1], "csrf_token": token})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/teacher").get_data(as_text=True)).group(1)
    refused = client.post("/api/lessons", json=LESSON)
    assert refused.status_code == 400 and refused.get_json()["error"] == "bad_request"
    assert client.post("/api/lessons", json=LESSON, headers={"X-CSRFToken": token}).status_code == 201


def test_a_resource_step_whose_resource_was_removed_says_so(client, login, teacher, db):
    db.execute("INSERT INTO pack (id, version, title) VALUES ('p', '1', 'Pack')")
    db.execute("INSERT INTO resource (id, pack, path, title, kind, mime) VALUES ('video-1', 'p', 'v.mp4', 'V', "
               "'video', 'video/mp4')")
    db.conn.commit()
    login(teacher)
    steps = [{"type": "resource", "resource_id": "video-1", "title": "Là"},
             {"type": "resource", "resource_id": "video-2", "title": "Partie"}]
    made = client.post("/api/lessons", json={**LESSON, "lessons": [{"title": "R", "steps": steps}]}).get_json()
    shown = client.get(f"/api/lessons/{made['lessons'][0]['id']}").get_json()["steps"]
    assert "missing" not in shown[0] and shown[1]["missing"] is True
    exported = client.get(f"/api/lessons/{made['lessons'][0]['id']}/export").get_json()
    assert "missing" not in exported["lessons"][0]["steps"][1]  # a mark of the box's library, not of the lesson
