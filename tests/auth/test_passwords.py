"""Common and guessable passwords are refused, with the reason, in the CLI and on every page."""

from __future__ import annotations

import pytest

from classbox.auth.users import UserError, add_user, authenticate, set_password
from tests.test_cli import invoke

WEAK = [
    ("password", "most common"),
    ("12345678", "most common"),
    ("tech.admin", "login or name"),  # the login itself, with a suffix
    ("technicien2026", "login or name"),  # the display name and a year
    ("azertyuiop", "most common"),
    ("abcdefghij", "sequence"),
    ("ecole2026", "year"),
]


@pytest.mark.parametrize("password, why", WEAK)
def test_weak_admin_passwords_are_refused_with_the_reason(db, password, why):
    with pytest.raises(UserError) as refused:
        add_user(db, "tech.admin", "admin", password, "Technicien")
    assert why in str(refused.value)
    assert refused.value.shown.startswith("mot de passe refusé")


def test_a_password_equal_to_the_login_is_refused(db):
    with pytest.raises(UserError, match="login or name"):
        add_user(db, "mme.durand", "admin", "mme.durand")


def test_a_strong_passphrase_is_accepted(db):
    add_user(db, "tech.admin", "admin", "Girafe-Bleue-Tambour-7", "Technicien")
    assert authenticate(db, "tech.admin", "Girafe-Bleue-Tambour-7")["role"] == "admin"


def test_passwd_refuses_a_weak_password_and_keeps_the_old_one(db, teacher):
    with pytest.raises(UserError, match="most common"):
        set_password(db, teacher[0], "password1")
    assert authenticate(db, teacher[0], teacher[1]) is not None


def test_cli_says_why_in_english(runner, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("12345678\n")
    result = invoke(runner, tmp_path / "d", "user", "add", "--role", "admin", "--password-file", str(pw), "tech")
    assert result.exit_code != 0
    assert "password refused" in result.output and "most common" in result.output


def test_admin_page_says_why_in_french_and_english(client, admin, login):
    login(admin)
    form = {"login": "m.petit", "role": "teacher", "display_name": "M. Petit", "password": "password"}
    refused = client.post("/admin/teachers", data=form)
    assert refused.status_code == 400
    assert "mot de passe refusé" in refused.get_data(as_text=True)
    assert "plus courants" in refused.get_data(as_text=True)
    refused = client.post("/admin/teachers", data=form, headers={"Accept-Language": "en"})
    assert "password refused" in refused.get_data(as_text=True)


def test_password_change_page(client, db, teacher, login):
    login(teacher)
    page = client.get("/account/password")
    assert page.status_code == 200
    weak = client.post("/account/password", data={"current": teacher[1], "new": "mme.martin1", "confirm": "mme.martin1"})
    assert weak.status_code == 400 and "reprend l&#39;identifiant ou le nom" in weak.get_data(as_text=True)
    wrong = client.post("/account/password", data={"current": "pas-le-bon-1", "new": "Girafe-Bleue-Tambour-7",
                                                   "confirm": "Girafe-Bleue-Tambour-7"})
    assert wrong.status_code == 400
    done = client.post("/account/password", data={"current": teacher[1], "new": "Girafe-Bleue-Tambour-7",
                                                  "confirm": "Girafe-Bleue-Tambour-7"})
    assert done.status_code == 303
    assert client.get("/teacher").status_code == 200, "the device that changed the password stays logged in"
    assert authenticate(db, teacher[0], "Girafe-Bleue-Tambour-7") is not None


def test_password_change_page_revokes_the_other_devices(app, client, teacher, login):
    login(teacher)
    tablet = app.test_client()
    tablet.post("/login", data={"login": teacher[0], "password": teacher[1]})
    client.post("/account/password", data={"current": teacher[1], "new": "Girafe-Bleue-Tambour-7",
                                           "confirm": "Girafe-Bleue-Tambour-7"})
    assert tablet.get("/teacher").status_code == 302
