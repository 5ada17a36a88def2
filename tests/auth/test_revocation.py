"""Logging out, changing a password and disabling an account end every cookie of the account."""

from __future__ import annotations

import pytest
from werkzeug.http import parse_cookie

from classbox.auth.users import set_disabled, set_password
from tests.classroom.conftest import ack

NS = "/classroom"


def copied_cookie(client) -> str:
    """The session cookie the client holds now (what a thief would copy)."""
    return client.get_cookie("classbox_session").value


def with_cookie(app, value: str):
    """A new device (test client) that presents a copied session cookie."""
    other = app.test_client()
    other.set_cookie("classbox_session", value)
    return other


def test_logout_revokes_a_cookie_copied_before(app, client, teacher, login):
    login(teacher)
    stolen = copied_cookie(client)
    assert with_cookie(app, stolen).get("/teacher").status_code == 200
    client.post("/logout")
    assert with_cookie(app, stolen).get("/teacher").status_code == 302


def test_logout_ends_the_accounts_other_devices(app, client, teacher, login):
    login(teacher)
    tablet = app.test_client()
    assert tablet.post("/login", data={"login": teacher[0], "password": teacher[1]}).status_code == 302
    client.post("/logout")
    assert tablet.get("/teacher").status_code == 302


def test_a_new_login_after_logout_works(app, client, teacher, login):
    login(teacher)
    client.post("/logout")
    login(teacher)
    assert client.get("/teacher").status_code == 200


@pytest.mark.parametrize("revoke", [
    lambda db, who: set_password(db, who, "Autre-Phrase-Secrete-42"),
    lambda db, who: set_disabled(db, who, True),
    lambda db, who: db.conn.execute("DELETE FROM users WHERE login = ?", [who]) and db.conn.commit(),
], ids=["password", "disabled", "removed"])
def test_account_changes_revoke_copied_cookies(app, client, db, teacher, login, revoke):
    login(teacher)
    stolen = copied_cookie(client)
    revoke(db, teacher[0])
    assert with_cookie(app, stolen).get("/teacher").status_code == 302


def test_reenabling_does_not_revive_old_cookies(app, client, db, teacher, login):
    login(teacher)
    stolen = copied_cookie(client)
    set_disabled(db, teacher[0], True)
    set_disabled(db, teacher[0], False)
    assert with_cookie(app, stolen).get("/teacher").status_code == 302


def test_socketio_refuses_teacher_events_of_a_revoked_cookie(app, client, teacher, login, socketio_client):
    login(teacher)
    stolen = with_cookie(app, copied_cookie(client))
    client.post("/logout")
    sio = socketio_client(flask_client=stolen)
    answer = ack(sio, "open_session", {"title": "volée"})
    assert answer["ok"] is False and answer["error"] == "forbidden"


def test_live_teacher_socket_is_cut_at_logout(app, client, teacher, login, socketio_client):
    login(teacher)
    stolen = with_cookie(app, copied_cookie(client))
    sio = socketio_client(flask_client=stolen)
    assert ack(sio, "open_session", {"title": "CM1"})["ok"]
    client.post("/logout")
    assert not sio.is_connected(NS), "the copied cookie's live dashboard keeps receiving answers"


def test_disabling_on_the_admin_page_cuts_the_teachers_live_socket(app, client, teacher, admin, login,
                                                                   socketio_client):
    tablet = app.test_client()
    assert tablet.post("/login", data={"login": teacher[0], "password": teacher[1]}).status_code == 302
    sio = socketio_client(flask_client=tablet)
    assert ack(sio, "open_session", {"title": "CM1"})["ok"]
    login(admin)
    assert client.post(f"/admin/teachers/{teacher[0]}/disable").status_code == 303
    assert not sio.is_connected(NS)
    assert tablet.get("/teacher").status_code == 302
