"""Pages and exports: pupil join page, teacher dashboard, QR code, results JSON and CSV, admin accounts."""

import csv
import io

from tests.classroom.conftest import QUIZ_SPEC, ack, new_id


def test_home_form_redirects_to_the_join_page(client, teacher_sio):
    _, code = teacher_sio
    response = client.get(f"/join?code={code.lower()}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/join/{code}")
    page = client.get(f"/join/{code}").get_data(as_text=True)
    assert 'id="join-form"' in page and 'for="pupil-name"' in page and "vendor/socket.io.min.js" in page
    assert "http://" not in page.replace("http://localhost", "") and "https://" not in page


def test_unknown_and_closed_join_pages(client, teacher_sio):
    teacher, code = teacher_sio
    assert client.get("/join/ZZZZZ2").status_code == 404
    assert "aucune séance" in client.get("/join?code=nope").get_data(as_text=True)
    ack(teacher, "close_session")
    response = client.get(f"/join/{code}")
    assert response.status_code == 410 and "terminée" in response.get_data(as_text=True)


def test_teacher_pages_need_a_login(app):
    anonymous = app.test_client()
    assert anonymous.get("/teacher").status_code == 302
    assert anonymous.get("/teacher/sessions/ABCDEF").status_code == 302
    assert anonymous.get("/api/sessions/ABCDEF/results").status_code == 401


def test_dashboard_lists_sessions_and_shows_the_qr_code(client, teacher_sio):
    _, code = teacher_sio
    assert code in client.get("/teacher").get_data(as_text=True)
    page = client.get(f"/teacher/sessions/{code}").get_data(as_text=True)
    assert f"/join/{code}" in page and 'id="close-session"' in page
    svg = client.get(f"/teacher/sessions/{code}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    projector = client.get(f"/teacher/sessions/{code}/projector").get_data(as_text=True)
    assert 'data-mode="projector"' in projector and "projector-results" in projector


def test_projector_offers_a_labelled_question_picker_and_the_dashboard_links_to_it(client, teacher_sio):
    _, code = teacher_sio
    projector = client.get(f"/teacher/sessions/{code}/projector").get_data(as_text=True)
    assert '<label for="projector-activity">Question projetée</label>' in projector
    assert '<select id="projector-activity"><option value="">' in projector and "activité en cours</option>" in projector
    dashboard = client.get(f"/teacher/sessions/{code}").get_data(as_text=True)
    assert f'data-base="/teacher/sessions/{code}/projector"' in dashboard and "Projeter cette question" in dashboard


def test_results_export_json_and_csv(client, teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, _ = pupil(code, "Léa")
    tom, _ = pupil(code, "Tom")
    activity = ack(teacher, "push", QUIZ_SPEC)["activity"]
    for sio, value in ((lea, 1), (tom, 0)):
        assert ack(sio, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": value})["ok"]
    assert ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": 2})["ok"]
    document = client.get(f"/api/sessions/{code}/results").get_json()
    assert document["session"]["code"] == code and [p["name"] for p in document["pupils"]] == ["Léa", "Tom"]
    [results] = [a["results"] for a in document["activities"]]
    assert results["answered"] == 2 and [b["count"] for b in results["bars"]] == [1, 0, 1]  # Léa's last answer wins
    assert len(document["submissions"]) == 3
    response = client.get(f"/api/sessions/{code}/results?format=csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["seq", "eleve", "activite", "question", "reponse"]
    assert [r[1] for r in rows[1:]] == ["Léa", "Tom", "Léa"] and rows[1][4] == "4" and rows[1][5] == "oui"


def test_watch_gives_the_teacher_the_live_state(teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    activity = ack(teacher, "push", QUIZ_SPEC)["activity"]
    ack(lea, "submit", {"activity_id": activity["id"], "submission_id": new_id(), "answer": 1})
    state = ack(teacher, "watch", {"code": code})
    assert state["ok"] and state["pupils"] == [{"id": joined["pupil_id"], "name": "Léa", "online": True}]
    assert state["current"] == activity["id"] and state["activities"][0]["results"]["correct"] == 1
    assert state["session"]["join_url"].endswith(f"/join/{code}")


def test_admin_creates_and_disables_teachers(app, client, admin, login, db):
    login(admin)
    page = client.get("/admin").get_data(as_text=True)
    assert "Comptes enseignants" in page
    response = client.post("/admin/teachers", data={"login": "m.bernard", "display_name": "M. Bernard",
                                                    "role": "teacher", "password": ""})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="created-password"' in body
    password = body.split('id="created-password">')[1].split("<")[0]
    teacher_client = app.test_client()
    assert teacher_client.post("/login", data={"login": "m.bernard", "password": password}).status_code == 302
    assert teacher_client.get("/teacher").status_code == 200
    assert client.post("/admin/teachers/m.bernard/disable").status_code == 303
    assert teacher_client.get("/teacher").status_code == 302  # logged out at once
    assert app.test_client().post("/login", data={"login": "m.bernard", "password": password}).status_code == 401
    assert client.post("/admin/teachers/m.bernard/enable").status_code == 303
    assert client.post("/admin/teachers", data={"login": "m.bernard", "role": "teacher"}).status_code == 400
    assert client.post("/admin/teachers/tech/disable").status_code == 303
    assert db["users"].get(1)["disabled"] == 0  # an admin cannot lock themselves out


def test_teachers_cannot_manage_accounts(client, teacher, login):
    login(teacher)
    assert client.get("/admin/teachers").status_code == 403
    assert client.post("/admin/teachers", data={"login": "x.y", "role": "admin"}).status_code == 403


def test_admin_forms_need_csrf(app, client, admin, login):
    login(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/admin/teachers", data={"login": "m.bernard", "role": "teacher"}).status_code == 400
