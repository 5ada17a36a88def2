"""The classes HTTP API: login, owner scoping, CSRF, JSON and CSV members, pictograms with immutable caching."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def teacher_client(client, teacher, login):
    login(teacher)
    return client


def make_class(client, name="CE1-CE2", levels=("CE1", "CE2"), **extra) -> dict:
    response = client.post("/api/classes", json={"name": name, "levels": list(levels), **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_api_needs_a_logged_in_teacher(client):
    assert client.get("/api/classes").status_code == 401
    assert client.post("/api/classes", json={"name": "X", "levels": ["CP"]}).status_code == 401
    assert client.get("/api/classes/1").status_code == 401
    assert client.post("/api/classes/1/members", json=["Léa"]).status_code == 401


def test_create_list_and_get_a_class_with_members(teacher_client):
    made = make_class(teacher_client, members=[{"name": "Léa", "picture": "owl"}, "Hugo"])
    assert made["levels"] == ["CE1", "CE2"] and made["retain_until"].endswith("-08-31")
    assert [(m["name"], m["position"]) for m in made["members"]] == [("Léa", 0), ("Hugo", 1)]
    listed = teacher_client.get("/api/classes").get_json()["classes"]
    assert [(c["id"], c["member_count"]) for c in listed] == [(made["id"], 2)]
    assert teacher_client.get(f"/api/classes/{made['id']}").get_json() == made


def test_a_bad_member_in_a_new_class_leaves_no_class_behind(teacher_client):
    response = teacher_client.post("/api/classes", json={"name": "CP", "levels": ["CP"], "members": ["Léa", "L" * 31]})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_name"
    assert "31" in response.get_json()["message"], "the classroom's rule says what is wrong"
    assert teacher_client.get("/api/classes").get_json()["classes"] == []


def test_a_teacher_never_sees_another_teachers_classes(app, teacher_client, db, other_teacher_id):
    made = make_class(teacher_client, members=["Léa"])
    teacher_client.post("/logout")
    other = app.test_client()
    assert other.post("/login", data={"login": "m.durand", "password": "other-pass-456"}).status_code == 302
    assert other.get("/api/classes").get_json()["classes"] == []
    for response in (other.get(f"/api/classes/{made['id']}"),
                     other.post(f"/api/classes/{made['id']}/members", json=["Intrus"]),
                     other.delete(f"/api/classes/{made['id']}/members/{made['members'][0]['id']}"),
                     other.delete(f"/api/classes/{made['id']}")):
        assert response.status_code == 404 and response.get_json()["error"] == "unknown_class"
    names = [m["name"] for m in store_members(db, made["id"])]
    assert names == ["Léa"]


def store_members(db, class_id):
    return list(db.query("SELECT name FROM class_members WHERE class_id = ?", [class_id]))


def test_members_from_an_uploaded_windows_1252_export(teacher_client):
    made = make_class(teacher_client, "CP-CE1", ["CP", "CE1"])
    data = (FIXTURES / "onde_export_cp1252.csv").read_bytes()
    response = teacher_client.post(f"/api/classes/{made['id']}/members",
                                   data={"file": (io.BytesIO(data), "export.csv")}, content_type="multipart/form-data")
    assert response.status_code == 201
    body = response.get_json()
    assert [m["name"] for m in body["added"]][:3] == ["Léa M.", "Léa R.", "Maël"]
    assert [(n["line"], n["code"]) for n in body["notes"]] == [(2, "initial"), (3, "initial"), (6, "empty_line"),
                                                                (9, "duplicate")]
    assert "ligne 2" in body["notes"][2]["message"].lower() or "Ligne 6" in body["notes"][2]["message"]
    assert len(body["class"]["members"]) == 8


def test_members_from_a_csv_body_and_a_refused_file_naming_its_line(teacher_client):
    made = make_class(teacher_client)
    ok = teacher_client.post(f"/api/classes/{made['id']}/members", data="Zoé\r\nHugo\r\n".encode(),
                             content_type="text/csv")
    assert [m["name"] for m in ok.get_json()["added"]] == ["Zoé", "Hugo"]
    junk = teacher_client.post(f"/api/classes/{made['id']}/members", data=b"Nina\n\x89PNG\x00\x01",
                               content_type="text/csv")
    assert junk.status_code == 400
    assert junk.get_json()["error"] == "csv_binary" and junk.get_json()["line"] == 2
    assert "ligne 2" in junk.get_json()["message"]
    assert len(teacher_client.get(f"/api/classes/{made['id']}").get_json()["members"]) == 2


def test_the_error_message_follows_the_language(teacher_client):
    made = make_class(teacher_client)
    response = teacher_client.post(f"/api/classes/{made['id']}/members", data=b"Nina\n\x00",
                                   content_type="text/csv", headers={"Accept-Language": "en"})
    assert "line 2" in response.get_json()["message"]


def test_rename_repicture_remove_and_reorder_over_http(teacher_client):
    made = make_class(teacher_client, members=["Léa", "Hugo", "Zoé"])
    lea, hugo, zoe = (m["id"] for m in made["members"])
    base = f"/api/classes/{made['id']}"
    assert teacher_client.patch(f"{base}/members/{lea}", json={"name": "Léa M.", "picture": "cat"}).get_json()["name"] \
        == "Léa M."
    assert teacher_client.delete(f"{base}/members/{hugo}").status_code == 200
    assert [m["id"] for m in teacher_client.put(f"{base}/order", json={"members": [zoe, lea]}).get_json()["members"]] \
        == [zoe, lea]
    assert teacher_client.delete(f"{base}/members/{hugo}").get_json()["error"] == "unknown_member"
    assert teacher_client.put(f"{base}/order", json={"members": [zoe]}).status_code == 400


@pytest.mark.parametrize("body", [None, "text", 42, {"members": "Léa"}, [None]])
def test_malformed_member_lists_are_refused(teacher_client, body):
    made = make_class(teacher_client)
    response = teacher_client.post(f"/api/classes/{made['id']}/members", json=body)
    assert response.status_code == 400 and response.get_json()["error"] == "malformed"


def test_json_posts_need_the_csrf_token(app, client, teacher):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"login": teacher[0], "password": teacher[1], "csrf_token": token}).status_code == 302
    page = client.get("/teacher").get_data(as_text=True)  # a new session at login: a new token
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/api/classes", json={"name": "CP", "levels": ["CP"]}).status_code == 400
    assert client.get("/api/classes").get_json()["classes"] == []
    response = client.post("/api/classes", json={"name": "CP", "levels": ["CP"]}, headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_pictograms_are_listed_and_served_with_immutable_caching(teacher_client):
    listed = teacher_client.get("/api/pictograms", headers={"Accept-Language": "en"}).get_json()["pictograms"]
    assert len(listed) >= 40
    fox = next(p for p in listed if p["id"] == "fox")
    assert fox["label"] == "Fox"
    response = teacher_client.get(fox["url"])
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.data.startswith(b"<svg") and b"<script" not in response.data
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = teacher_client.get(fox["url"], headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_an_outdated_or_unknown_pictogram_url(client):
    assert client.get("/pictograms/fox-000000000000.svg").status_code == 302
    assert client.get("/pictograms/passwd-000000000000.svg").status_code == 404


@pytest.mark.parametrize("class_id", ["0", "99999999999999999999", "1e3", "-1"])
def test_a_class_id_out_of_range_is_simply_not_found(teacher_client, class_id):
    response = teacher_client.get(f"/api/classes/{class_id}")
    assert response.status_code == 404


def test_a_csv_over_the_class_size_adds_nobody(teacher_client):
    made = make_class(teacher_client)
    names = "\n".join(f"Élève {i}" for i in range(61)).encode()
    response = teacher_client.post(f"/api/classes/{made['id']}/members", data=names, content_type="text/csv")
    assert response.status_code == 400 and response.get_json()["error"] == "too_many_members"
    assert "60" in response.get_json()["message"]
    assert teacher_client.get(f"/api/classes/{made['id']}").get_json()["members"] == []
