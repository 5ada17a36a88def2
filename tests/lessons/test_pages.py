"""The teacher's lessons pages without JavaScript: create, every step kind, reorder, preview, import, conflicts."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def create(client, title="Fractions") -> str:
    response = client.post("/teacher/lessons", data={"title": title})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def version(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def add(client, url: str, kind: str, **form) -> str:
    """Add a step through the page's form; the lesson page after the redirect."""
    page = client.get(f"{url}/steps/new?type={kind}").get_data(as_text=True)
    response = client.post(f"{url}/steps/new?type={kind}", data={"version": version(page), **form})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(url).get_data(as_text=True)


def steps_of(client, url: str) -> list[dict]:
    return client.get("/api/lessons/" + url.rsplit("/", 1)[1]).get_json()["steps"]


@pytest.fixture
def lesson_url(client, login, teacher) -> str:
    login(teacher)
    return create(client)


def test_the_pages_need_a_teacher(client):
    response = client.get("/teacher/lessons")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_step_kind_push_sends_can_be_made_from_the_forms(client, lesson_url, db):
    db.execute("INSERT INTO pack (id, version, title) VALUES ('p', '1', 'Pack')")
    db.execute("INSERT INTO resource (id, pack, path, title, kind, mime) VALUES ('video-1', 'p', 'v.webm', "
               "'La mire', 'video', 'video/webm')")
    db.conn.commit()
    add(client, lesson_url, "quiz:single", question="1/2 = ?", **{"choice-0": "2/4", "choice-1": "1/3",
                                                                   "choice-2": "", "correct": "0"}, duration_s="30")
    add(client, lesson_url, "quiz:multiple", question="Pairs ?", **{"choice-0": "2", "choice-1": "3",
                                                                     "choice-2": "4"}, correct=["0", "2"])
    add(client, lesson_url, "quiz:text", question="Capitale ?", answers="Paris\nLutèce\n")
    add(client, lesson_url, "quiz:number", question="π ?", answer="3,14", tolerance="0,01")
    add(client, lesson_url, "message", text="Bonjour")
    add(client, lesson_url, "resource", resource_id="video-1")
    add(client, lesson_url, "handin", instructions="Dessine", accept=["photo", "file"])
    page = add(client, lesson_url, "pause", text="")
    assert steps_of(client, lesson_url) == [
        {"type": "quiz", "kind": "single", "question": "1/2 = ?", "choices": ["2/4", "1/3"], "correct": 0,
         "duration_s": 30},
        {"type": "quiz", "kind": "multiple", "question": "Pairs ?", "choices": ["2", "3", "4"], "correct": [0, 2]},
        {"type": "quiz", "kind": "text", "question": "Capitale ?", "correct": ["Paris", "Lutèce"]},
        {"type": "quiz", "kind": "number", "question": "π ?", "correct": 3.14, "tolerance": 0.01},
        {"type": "message", "text": "Bonjour"},
        {"type": "resource", "resource_id": "video-1", "title": "La mire"},
        {"type": "handin", "instructions": "Dessine", "accept": ["photo", "file"]},
        {"type": "pause", "text": "Les yeux vers l'enseignant !"},
    ]
    assert "3,14 ± 0,01" in page and "Paris / Lutèce" in page and "Étapes (8)" in page


def test_a_bad_step_is_shown_again_with_the_reason_and_what_was_typed(client, lesson_url):
    page = client.get(f"{lesson_url}/steps/new?type=quiz:number").get_data(as_text=True)
    response = client.post(f"{lesson_url}/steps/new?type=quiz:number",
                           data={"version": version(page), "question": "Combien ?", "answer": "trois"})
    assert response.status_code == 400
    shown = response.get_data(as_text=True)
    assert "un nombre attendu, comme 3,14" in shown and 'value="trois"' in shown
    assert steps_of(client, lesson_url) == []


def test_editing_an_imported_step_keeps_what_the_form_does_not_show(client, login, teacher):
    login(teacher)
    gift = "::Q1::Capitale ? {=Paris#Oui =Lutèce#Ancien nom ####Bien}\n".encode()
    client.post("/teacher/lessons/import", data={"file": (io.BytesIO(gift), "geo.gift")},
                content_type="multipart/form-data")
    url = "/teacher/lessons/1"
    form = client.get(f"{url}/steps/0").get_data(as_text=True)
    assert "Paris\nLutèce</textarea>" in form
    response = client.post(f"{url}/steps/0", data={"version": version(form), "title": "Q1",
                                                   "question": "La capitale ?", "answers": "Paris\nLutèce",
                                                   "general_feedback": "Bien"})
    assert response.status_code == 303
    assert steps_of(client, url) == [{"type": "quiz", "kind": "text", "question": "La capitale ?",
                                      "correct": ["Paris", "Lutèce"], "title": "Q1", "feedback": ["Oui", "Ancien nom"],
                                      "general_feedback": "Bien"}]


def test_move_up_and_down_then_remove(client, lesson_url):
    for text in ("un", "deux", "trois"):
        page = add(client, lesson_url, "message", text=text)
    client.post(f"{lesson_url}/steps/2/move", data={"version": version(page), "direction": "up"})
    page = client.get(lesson_url).get_data(as_text=True)
    client.post(f"{lesson_url}/steps/0/move", data={"version": version(page), "direction": "down"})
    assert [s["text"] for s in steps_of(client, lesson_url)] == ["trois", "un", "deux"]
    page = client.get(lesson_url).get_data(as_text=True)
    client.post(f"{lesson_url}/steps/1/remove", data={"version": version(page)})
    assert [s["text"] for s in steps_of(client, lesson_url)] == ["trois", "deux"]


def test_two_tabs_the_stale_one_gets_a_french_message_and_overwrites_nothing(app, client, lesson_url, teacher):
    for text in ("un", "deux"):
        tab_one = add(client, lesson_url, "message", text=text)
    tab_two = client.get(lesson_url).get_data(as_text=True)
    client.post(f"{lesson_url}/steps/0/move", data={"version": version(tab_one), "direction": "down"})
    stale = client.post(f"{lesson_url}/steps/1/remove", data={"version": version(tab_two)}, follow_redirects=True)
    assert "cette leçon a été modifiée ailleurs" in stale.get_data(as_text=True)
    assert [s["text"] for s in steps_of(client, lesson_url)] == ["deux", "un"]
    form = client.get(f"{lesson_url}/steps/0").get_data(as_text=True)  # opened, then another device saves
    other = app.test_client()
    other.post("/login", data={"login": teacher[0], "password": teacher[1]})
    other.post(f"{lesson_url}/title", data={"version": version(form), "title": "Autre titre"})
    refused = client.post(f"{lesson_url}/steps/0", data={"version": version(form), "text": "Mon long texte"})
    assert refused.status_code == 409
    shown = refused.get_data(as_text=True)
    assert "cette leçon a été modifiée ailleurs" in shown and "Mon long texte</textarea>" in shown
    assert steps_of(client, lesson_url)[0]["text"] == "deux"


def test_reorder_endpoint_of_the_drag_handle(client, lesson_url):
    for text in ("un", "deux", "trois"):
        page = add(client, lesson_url, "message", text=text)
    moved = client.post(f"{lesson_url}/order", data={"version": version(page), "order": "2,0,1"})
    assert moved.status_code == 200 and moved.get_json() == {"version": int(version(page)) + 1}
    assert [s["text"] for s in steps_of(client, lesson_url)] == ["trois", "un", "deux"]
    stale = client.post(f"{lesson_url}/order", data={"version": version(page), "order": "0,1,2"})
    assert stale.status_code == 409 and "modifiée ailleurs" in stale.get_json()["message"]
    bad = client.post(f"{lesson_url}/order", data={"version": str(int(version(page)) + 1), "order": "0,0,1"})
    assert bad.status_code == 400
    assert [s["text"] for s in steps_of(client, lesson_url)] == ["trois", "un", "deux"]


def test_preview_shows_the_pupils_screen_without_the_answer(client, lesson_url):
    add(client, lesson_url, "quiz:single", question="Quelle fraction ?", duration_s="20",
        **{"choice-0": "2/4", "choice-1": "Réponse<b>piège</b>", "correct": "1"})
    page = client.get(f"{lesson_url}/steps/0/preview").get_data(as_text=True)
    pupil = page.split('id="pupil-preview"')[1].split('id="teacher-side"')[0]
    assert "Quelle fraction ?" in pupil and 'type="radio"' in pupil and "20 s" in pupil
    assert "Réponse&lt;b&gt;piège&lt;/b&gt;" in pupil and "Bonne réponse" not in pupil
    assert "Bonne réponse : Réponse&lt;b&gt;piège&lt;/b&gt;" in page


def test_duplicate_then_delete_after_confirming(client, lesson_url):
    page = add(client, lesson_url, "message", text="un")
    copy = client.post(f"{lesson_url}/duplicate")
    assert copy.status_code == 303
    copy_page = client.get(copy.headers["Location"]).get_data(as_text=True)
    assert "Copie de Fractions" in copy_page
    confirm = client.get(f"{lesson_url}/delete").get_data(as_text=True)
    assert "Supprimer « Fractions » ?" in confirm
    client.post(f"{lesson_url}/delete")
    listing = client.get("/teacher/lessons").get_data(as_text=True)
    assert "Copie de Fractions" in listing and ">Fractions</a>" not in listing
    assert client.get(lesson_url).status_code == 404
    assert version(page)


def test_import_shows_the_lessons_made_and_names_each_skipped_line(client, login, teacher):
    login(teacher)
    data = (FIXTURES / "moodle-export.gift").read_bytes()
    page = client.post("/teacher/lessons/import", data={"file": (io.BytesIO(data), "5e.gift")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "2 leçon(s) importée(s), 1 question(s) ignorée(s)." in page
    assert "Ligne 47 (Appariement) : les questions d&#39;appariement ne sont pas prises en charge" in page
    bad = client.post("/teacher/lessons/import", data={"file": (io.BytesIO(b"Q {#2..1}"), "q.gift")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400
    assert "rien n'a été importé : ligne 1 : intervalle inversé 2..1" in bad.get_data(as_text=True)


def test_a_pack_lesson_is_read_only_and_offers_to_duplicate_it(client, login, teacher, db):
    db.execute("INSERT INTO lessons (title, pack_id, source) VALUES ('Du pack', 'exemple', 'pack')")
    db.execute("INSERT INTO lesson_steps (lesson_id, position, spec) VALUES (1, 0, '{\"type\": \"message\", \"text\": \"a\"}')")
    db.conn.commit()
    login(teacher)
    page = client.get("/teacher/lessons/1").get_data(as_text=True)
    assert "Dupliquer pour modifier" in page and "lecture seule" in page
    assert "/steps/0/move" not in page and "/steps/0/preview" in page
    refused = client.post("/teacher/lessons/1/steps/0/remove", data={"version": "1"}, follow_redirects=True)
    assert "dupliquez-la pour la modifier" in refused.get_data(as_text=True)
    assert client.get("/api/lessons/1").get_json()["steps"] == [{"type": "message", "text": "a"}]


def test_the_pages_in_english(client, lesson_url):
    client.get("/lang/en?next=/teacher")
    add(client, lesson_url, "quiz:number", question="π ?", answer="3.14 ± 0.01")
    page = client.get(lesson_url).get_data(as_text=True)
    assert "Steps (1)" in page and "Number answer" in page and "3.14 ± 0.01" in page
    assert "My lessons" in client.get("/teacher/lessons").get_data(as_text=True)


def test_a_step_whose_resource_was_removed_says_so_on_the_page(client, lesson_url, db):
    db.execute("INSERT INTO pack (id, version, title) VALUES ('p', '1', 'Pack')")
    db.execute("INSERT INTO resource (id, pack, path, title, kind, mime) VALUES ('video-1', 'p', 'v.webm', "
               "'La mire', 'video', 'video/webm')")
    db.conn.commit()
    form = client.get(f"{lesson_url}/steps/new?type=resource").get_data(as_text=True)  # no query: by title
    assert 'name="resource_id" value="video-1"' in form and "La mire" in form
    add(client, lesson_url, "resource", resource_id="video-1")
    assert "retirée de la bibliothèque" not in client.get(lesson_url).get_data(as_text=True)
    db.execute("DELETE FROM resource WHERE id = 'video-1'")
    db.conn.commit()
    assert "retirée de la bibliothèque : cette étape ne pourra pas être jouée" in client.get(lesson_url).get_data(as_text=True)
    preview = client.get(f"{lesson_url}/steps/0/preview").get_data(as_text=True)
    assert "Cette ressource a été retirée de la bibliothèque." in preview


def test_another_teacher_gets_404_on_every_page_of_a_lesson(app, client, lesson_url, db):
    from classbox.auth.users import add_user

    page = add(client, lesson_url, "message", text="secret")
    add_user(db, "m.durand", "teacher", "autre-secret-42")
    other = app.test_client()
    other.post("/login", data={"login": "m.durand", "password": "autre-secret-42"})
    for path in ("", "/steps/0", "/steps/0/preview", "/delete", "/steps/new?type=message"):
        assert other.get(lesson_url + path).status_code == 404, path
    for path in ("/steps/0/move", "/steps/0/remove", "/title", "/duplicate", "/delete", "/order"):
        assert other.post(lesson_url + path, data={"version": version(page), "title": "x", "order": "0",
                                                   "direction": "up"}).status_code == 404, path
    assert "secret" not in other.get("/teacher/lessons").get_data(as_text=True)
    assert steps_of(client, lesson_url) == [{"type": "message", "text": "secret"}]
