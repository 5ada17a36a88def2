"""The teacher's class pages: create a class, import a CSV, add and remove members, in French and English."""

from __future__ import annotations

import io
import re
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def create(client, name="CP-CE1", levels=("CP", "CE1")) -> str:
    response = client.post("/teacher/classes", data={"name": name, "levels": list(levels)})
    assert response.status_code == 302
    return response.headers["Location"]


def test_the_pages_need_a_teacher(client):
    response = client.get("/teacher/classes")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_create_a_class_then_import_a_windows_1252_export(client, teacher, login):
    login(teacher)
    page_url = create(client)
    data = (FIXTURES / "onde_export_cp1252.csv").read_bytes()
    response = client.post(f"{page_url}/members", data={"file": (io.BytesIO(data), "export.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Léa M." in page and "Léa R." in page and "Thành" in page
    assert "MARTIN" not in page
    assert "Ligne 6 : vide, ignorée." in page and "8 élève(s) ajouté(s)." in page
    assert len(re.findall(r'<img src="/pictograms/[a-z]+-[0-9a-f]{12}\.svg" alt="[^"]+"', page)) == 8
    listing = client.get("/teacher/classes").get_data(as_text=True)
    assert "CP-CE1" in listing and "CP, CE1" in listing


def test_add_and_remove_one_member(client, teacher, login):
    login(teacher)
    page_url = create(client)
    page = client.post(f"{page_url}/members", data={"name": "Zoé", "picture": "owl"},
                       follow_redirects=True).get_data(as_text=True)
    assert 'alt="Chouette"' in page and "Zoé" in page
    member_id = re.search(r'/members/([0-9a-f-]{36})/remove', page).group(1)
    page = client.post(f"{page_url}/members/{member_id}/remove", follow_redirects=True).get_data(as_text=True)
    assert "Zoé" not in page and "Aucun élève pour l'instant." in page


def test_refusals_are_shown_and_markup_is_escaped(client, teacher, login):
    login(teacher)
    page_url = create(client, name="CM1 & CM2 <les grands>")
    assert page_url.endswith("/teacher/classes"), "a class name with markup is refused"
    page_url = create(client, name="CM1 & CM2")
    page = client.get(page_url).get_data(as_text=True)
    assert "CM1 &amp; CM2" in page
    page = client.post(f"{page_url}/members", data={"file": (io.BytesIO(b"Zo\xc3\xa9\n\x00junk"), "x.csv")},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "contenu illisible ligne 2" in page
    page = client.post(f"{page_url}/members", data={"name": "<script>alert(1)</script>"},
                       follow_redirects=True).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_another_teachers_class_page_is_not_found(app, client, teacher, login, other_teacher_id):
    login(teacher)
    page_url = create(client)
    other = app.test_client()
    assert other.post("/login", data={"login": "m.durand", "password": "other-pass-456"}).status_code == 302
    assert other.get(page_url).status_code == 404
    assert other.post(f"{page_url}/members", data={"name": "Intrus"}).status_code == 404


def test_the_class_page_in_english(client, teacher, login):
    login(teacher)
    page_url = create(client)
    page = client.get(page_url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Import a list (CSV)" in page and "Add a pupil" in page
