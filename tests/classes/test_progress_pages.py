"""The class's teacher follows each pupil across sessions: class page, pupil page, printable report, access."""

from __future__ import annotations

import re
from html import unescape

import pytest

from classbox.auth.users import find_user
from classbox.classes import store as classes
from tests.classes.continuity import run_session

QUESTIONS = ["Couleur de l'herbe ?", "Couleur d'une feuille ?", "Couleur d'un sapin ?"]


@pytest.fixture
def year(db, teacher, teacher_id):
    """CE1 (Léa, Hugo, Zoé): two sessions for the class (Hugo mostly wrong), one session without the class."""
    me = find_user(db, teacher[0])
    klass = classes.create_class(db, teacher_id, "CE1 des Tilleuls", ["CE1"])
    lea, hugo, zoe = classes.add_members(db, teacher_id, klass["id"], [
        {"name": "Léa", "picture": "owl"}, {"name": "Hugo", "picture": "fox"}, {"name": "Zoé", "picture": "cat"}])
    names = {m["id"]: m["name"] for m in (lea, hugo, zoe)}
    monday = run_session(db, me, klass["id"], "Lundi : les couleurs", QUESTIONS,
                         {lea["id"]: [1, 1, 0], hugo["id"]: [0, 2, 0]}, names)
    thursday = run_session(db, me, klass["id"], "Jeudi : révisions", QUESTIONS,
                           {lea["id"]: [1, 1, 1], hugo["id"]: [0, None, 1]}, names,
                           handin={lea["id"]: "J'ai joué au foot"})
    run_session(db, me, None, "Sans classe", QUESTIONS, {lea["id"]: [0, 0, 0]}, names)  # not the class's
    return {"class": klass, "lea": lea, "hugo": hugo, "zoe": zoe, "monday": monday, "thursday": thursday}


def url(year, member=None, tail="progress"):
    base = f"/teacher/classes/{year['class']['id']}"
    return f"{base}/members/{year[member]['id']}/{tail}" if member else f"{base}/{tail}"


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_class_page_links_to_the_progress_pages(client, teacher, login, year):
    login(teacher)
    page = client.get(f"/teacher/classes/{year['class']['id']}").get_data(as_text=True)
    assert url(year) in page and url(year, "lea") in page


def test_the_class_progress_page_shows_each_pupil_and_who_needs_help(client, teacher, login, year):
    login(teacher)
    response = client.get(url(year))
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    assert "Suivi de CE1 des Tilleuls" in page and "2 séance(s)" in page
    help_section = page.split("Règle")[1].split("Élèves")[0]
    assert "Hugo" in help_section and "Léa" not in help_section, "Hugo: 1 right of 5 graded answers"
    assert "Léa 2 5 sur 6 (83 %)" in page and "Hugo 2 1 sur 5 (20 %)" in page
    assert "Zoé 0" in page
    assert "Lundi : les couleurs" in page and "Jeudi : révisions" in page and "Sans classe" not in page
    assert "Couleur de l'herbe ?" in page.split("Questions posées plusieurs fois")[1], "asked twice: a trend"


def test_the_tables_have_captions_and_headers_and_the_marks_are_words(client, teacher, login, year):
    login(teacher)
    for address in (url(year), url(year, "hugo")):
        html = client.get(address).get_data(as_text=True)
        assert html.count("<table") == html.count("<caption") > 0
        assert html.count("<table") <= html.count('scope="col"')
        assert "À aider" in html and ("↘" not in html or "en baisse" in html)


def test_a_pupils_page_shows_every_session_answer_and_hand_in(client, teacher, login, year):
    login(teacher)
    page = text_of(client.get(url(year, "lea")).get_data(as_text=True))
    assert "Suivi de Léa" in page and "Séances 2 sur 2" in page
    assert "Réponses justes 5 sur 6 (83 %)" in page
    assert "Lundi : les couleurs 2 sur 3 (67 %) 3 sur 3 0 sur 0" in page
    assert "Jeudi : révisions 3 sur 3 (100 %) 3 sur 3 1 sur 1" in page
    assert "Couleur d'un sapin ? rouge ✗ faux" in page and "Raconte ta journée J'ai joué au foot remis" in page
    assert "Sans classe" not in page
    assert "Hugo" not in page and "Zoé" not in page, "no other pupil on a pupil's page"


def test_a_pupil_absent_from_every_session(client, teacher, login, year):
    login(teacher)
    page = text_of(client.get(url(year, "zoe")).get_data(as_text=True))
    assert "Séances 0 sur 2" in page and page.count("absent(e)") == 2 and "À aider non" in page


def test_the_printable_report_names_only_its_pupil(client, teacher, login, year):
    login(teacher)
    html = client.get(url(year, "hugo", "report")).get_data(as_text=True)
    page = text_of(html)
    assert "Bilan de Hugo" in page and "Lundi : les couleurs" in page and "Observations" in page
    assert "Léa" not in page and "Zoé" not in page
    assert "pages/progress.css" in html


def test_the_pages_in_english(client, teacher, login, year):
    login(teacher)
    page = text_of(client.get(url(year), headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert "Progress of CE1 des Tilleuls" in page and "Needs help" in page and "1 of 5 (20%)" in page
    page = text_of(client.get(url(year, "lea", "report"), headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert "Report on Léa" in page and "Notes" in page


def _absent(client, path: str) -> bool:
    """The answer is 404, the same as for a class that does not exist (its existence is not revealed)."""
    prefix = re.compile(r"/teacher/classes/\d+(?!\d)")
    answer, nothing = client.get(path), client.get(prefix.sub("/teacher/classes/999999", path))
    assert (answer.status_code, nothing.status_code) == (404, 404), path
    # the pages' CSRF tokens carry their second: two requests across a second boundary differ there only
    token = re.compile(r'name="csrf_token" value="[^"]*"')
    shown = [token.sub("", prefix.sub("/teacher/classes/999999", body.get_data(as_text=True)))
             for body in (answer, nothing)]
    assert shown[0] == shown[1]
    return True


@pytest.mark.parametrize("tail", ["progress", "progress.csv", "progress.csv?detail=answers"])
def test_another_teacher_is_refused_the_class_pages(app, year, other_teacher_id, tail):
    other = app.test_client()
    assert other.post("/login", data={"login": "m.durand", "password": "other-pass-456"}).status_code == 302
    assert _absent(other, url(year, tail=tail))


@pytest.mark.parametrize("tail", ["progress", "progress.csv", "report"])
def test_another_teacher_is_refused_the_pupil_pages(app, year, other_teacher_id, tail):
    other = app.test_client()
    assert other.post("/login", data={"login": "m.durand", "password": "other-pass-456"}).status_code == 302
    assert _absent(other, url(year, "lea", tail))


def test_an_admin_who_is_not_the_classs_teacher_is_refused(app, year, admin):
    other = app.test_client()
    assert other.post("/login", data={"login": admin[0], "password": admin[1]}).status_code == 302
    class_id, lea = year["class"]["id"], year["lea"]["id"]
    for path in (url(year), url(year, "lea"), url(year, "lea", "report"), url(year, "lea", "progress.csv"),
                 url(year, tail="progress.csv"), f"/teacher/classes/{class_id}"):
        assert _absent(other, path), path
    assert other.get(f"/api/classes/{class_id}").status_code == 404
    assert other.get(f"/api/classes/{class_id}/secrets").status_code == 404
    assert other.patch(f"/api/classes/{class_id}/members/{lea}", json={"name": "X"}).status_code == 404


def test_a_pupil_or_a_stranger_is_sent_to_log_in(app, year):
    response = app.test_client().get(url(year, "lea"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_classes_and_members_and_members_of_another_class(client, teacher, login, year, db, teacher_id):
    login(teacher)
    other = classes.create_class(db, teacher_id, "CM2", ["CM2"])
    stranger, = classes.add_members(db, teacher_id, other["id"], [{"name": "Nina"}])
    base = f"/teacher/classes/{year['class']['id']}"
    assert client.get("/teacher/classes/999999/progress").status_code == 404
    assert client.get(f"{base}/members/{stranger['id']}/progress").status_code == 404
    assert client.get(f"{base}/members/not-a-member/report").status_code == 404
    assert client.get(f"/teacher/classes/{other['id']}/members/{stranger['id']}/progress").status_code == 200


def test_markup_in_titles_and_questions_is_escaped(client, teacher, login, db, teacher_id):
    login(teacher)
    me = find_user(db, teacher[0])
    klass = classes.create_class(db, teacher_id, "CP", ["CP"])
    tom, = classes.add_members(db, teacher_id, klass["id"], [{"name": "Tom"}])
    run_session(db, me, klass["id"], "<b>titre</b>", ["<img src=x onerror=alert(1)>"], {tom["id"]: [1]},
                {tom["id"]: "Tom"})
    html = client.get(f"/teacher/classes/{klass['id']}/progress").get_data(as_text=True)
    assert "&lt;b&gt;titre&lt;/b&gt;" in html and "<b>titre" not in html
    html = client.get(f"/teacher/classes/{klass['id']}/members/{tom['id']}/progress").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html


def test_a_question_asked_all_year_shows_its_last_ten_times(client, teacher, login, db, teacher_id):
    login(teacher)
    me = find_user(db, teacher[0])
    klass = classes.create_class(db, teacher_id, "CM1", ["CM1"])
    tom, = classes.add_members(db, teacher_id, klass["id"], [{"name": "Tom"}])
    for week in range(12):
        run_session(db, me, klass["id"], f"Semaine {week + 1}", ["Couleur de l'herbe ?"],
                    {tom["id"]: [0 if week < 2 else 1]}, {tom["id"]: "Tom"})
    for address in (f"/teacher/classes/{klass['id']}/progress",
                    f"/teacher/classes/{klass['id']}/members/{tom['id']}/progress"):
        page = text_of(client.get(address).get_data(as_text=True))
        repeated = page.split("Questions posées plusieurs fois")[1].split("Questions les moins")[0]
        repeated = repeated.split("Réponses et travaux")[0]
        assert "12 fois, les 10 dernières :" in repeated and "en progrès" in repeated
        assert "faux" not in repeated and "0 sur 1" not in repeated, "the first two (wrong) are not shown"
