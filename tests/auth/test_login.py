"""The web app: French pages, JSON errors under /api/, login, throttling, CSRF, roles."""

from __future__ import annotations

import pytest

from classbox.auth.users import set_disabled, set_password


def test_html_errors_are_french_and_api_errors_json(client):
    page = client.get("/nulle-part")
    assert page.status_code == 404
    assert "Page introuvable" in page.get_data(as_text=True)
    assert '<html lang="fr">' in page.get_data(as_text=True)
    api = client.get("/api/nulle-part")
    assert api.status_code == 404
    assert api.get_json()["status"] == 404


def test_api_health_minimal(client, app):
    body = client.get("/api/health").get_json()
    assert body["db"]["ok"] is True
    assert body["box"]["id"] == app.config["BOX_ID"]
    assert body["version"]
    assert body["uptime_seconds"] >= 0


def test_healthz_503_when_database_is_unusable(app, client):
    path = app.config["CLASSBOX"].data_dir / "classbox.db"
    path.unlink()
    path.mkdir()  # sqlite cannot open a folder
    response = client.get("/healthz")
    assert response.status_code == 503


def test_teacher_page_needs_login(client, teacher, login):
    response = client.get("/teacher")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(teacher)
    assert client.get("/teacher").status_code == 200


def test_wrong_password_is_refused(client, teacher):
    response = client.post("/login", data={"login": teacher[0], "password": "faux-mot-de-passe"})
    assert response.status_code == 401
    assert "incorrect" in response.get_data(as_text=True)
    assert client.get("/teacher").status_code == 302


def test_login_is_throttled_per_login(client, teacher):
    for _ in range(5):
        assert client.post("/login", data={"login": teacher[0], "password": "nope-nope"}).status_code == 401
    blocked = client.post("/login", data={"login": teacher[0], "password": teacher[1]})
    assert blocked.status_code == 429, "on the guessing device even the right password waits its delay"
    assert "Trop d" in blocked.get_data(as_text=True) and "Réessayez dans" in blocked.get_data(as_text=True)


def test_login_is_throttled_per_address(client, db):
    for n in range(30):
        client.post("/login", data={"login": f"guess{n}", "password": "nope-nope"})
    assert client.post("/login", data={"login": "other", "password": "x"}).status_code == 429


def test_open_redirect_is_refused(client, teacher):
    response = client.post("/login?next=https://evil.example/", data={"login": teacher[0], "password": teacher[1]})
    assert response.headers["Location"] == "/teacher"
    response = client.post("/login?next=//evil.example/x", data={"login": teacher[0], "password": teacher[1]})
    assert response.headers["Location"] == "/teacher"


def test_disabled_or_changed_password_ends_the_session(client, db, teacher, login):
    login(teacher)
    set_password(db, teacher[0], "autre-mot-de-passe")
    assert client.get("/teacher").status_code == 302
    login((teacher[0], "autre-mot-de-passe"))
    set_disabled(db, teacher[0], True)
    assert client.get("/teacher").status_code == 302


def test_admin_page_is_for_admins_only(client, teacher, admin, login):
    assert client.get("/admin").status_code == 302
    login(teacher)
    assert client.get("/admin").status_code == 403
    client.post("/logout")
    login(admin)
    assert client.get("/admin").status_code == 200


def test_session_cookie_flags(client, teacher):
    response = client.post("/login", data={"login": teacher[0], "password": teacher[1]})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def csrf_client(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


def test_forms_without_csrf_token_are_refused(csrf_client, teacher):
    response = csrf_client.post("/login", data={"login": teacher[0], "password": teacher[1]})
    assert response.status_code == 400
    assert "formulaire a expiré" in response.get_data(as_text=True)


def test_forms_with_csrf_token_pass(csrf_client, teacher):
    import re

    page = csrf_client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = csrf_client.post("/login", data={"login": teacher[0], "password": teacher[1], "csrf_token": token})
    assert response.status_code == 302
