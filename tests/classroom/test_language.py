"""One language per page: a Socket.IO connection speaks the language its page was rendered in."""

from __future__ import annotations

import os

import pytest

from classbox import create_app
from classbox.config import ConfigError, load_config

from tests.classroom.conftest import ack

NOV_26_2025_MIDNIGHT_UTC = 1764115200.0
ENGLISH_HANDSHAKE = {"Accept-Language": "en-US,en;q=0.9"}
FRENCH_HANDSHAKE = {"Accept-Language": "fr-FR,fr;q=0.9"}


@pytest.fixture
def teacher_socket(app, client, teacher, login, socketio_client):
    """socket(page_language, handshake_headers) -> a logged-in teacher's connection."""
    login(teacher)
    app.extensions["classroom"].rules.wall = lambda: NOV_26_2025_MIDNIGHT_UTC

    def make(page_language=None, headers=None):
        auth = {"lang": page_language} if page_language else None
        return socketio_client(auth=auth, headers=headers)
    return make


def test_a_french_page_gets_french_titles_and_errors_whatever_the_handshake_says(teacher_socket):
    sio = teacher_socket("fr", ENGLISH_HANDSHAKE)
    opened = ack(sio, "open_session", {})
    assert opened["session"]["title"] == "Séance du 26/11/2025 01:00"  # Europe/Paris, not UTC
    refused = ack(sio, "rename_pupil", {"pupil_id": "nobody", "name": "Léa"})
    assert refused["message"] == "Cet élève n'est pas dans la séance."


def test_an_english_page_gets_english_titles_and_errors_whatever_the_handshake_says(teacher_socket):
    sio = teacher_socket("en", FRENCH_HANDSHAKE)
    opened = ack(sio, "open_session", {})
    assert opened["session"]["title"] == "Session of 26/11/2025, 01:00"
    refused = ack(sio, "rename_pupil", {"pupil_id": "nobody", "name": "Léa"})
    assert refused["message"] == "This pupil is not in the session."


def test_the_language_cookie_wins_over_the_page(client, teacher_socket):
    client.set_cookie("classbox_lang", "en")
    sio = teacher_socket("fr", FRENCH_HANDSHAKE)
    assert ack(sio, "open_session", {})["session"]["title"].startswith("Session of ")


def test_a_page_that_says_nothing_gets_french_not_the_handshake_language(teacher_socket):
    sio = teacher_socket(None, ENGLISH_HANDSHAKE)
    assert ack(sio, "open_session", {})["session"]["title"].startswith("Séance du ")
    sio = teacher_socket("klingon", ENGLISH_HANDSHAKE)
    assert ack(sio, "open_session", {})["session"]["title"].startswith("Séance du ")


def test_a_pupils_refusals_follow_its_page(app, socketio_client, teacher_socket):
    code = ack(teacher_socket("fr"), "open_session", {"title": "CM1"})["code"]
    for page, message in (("en", "This name has no visible character."),
                          ("fr", "Ce prénom ne contient aucun caractère visible.")):
        device = app.test_client()
        sio = socketio_client(flask_client=device, auth={"lang": page},
                              headers=FRENCH_HANDSHAKE if page == "en" else ENGLISH_HANDSHAKE)
        assert ack(sio, "join", {"code": code, "name": "\u3164"})["message"] == message


def test_the_box_time_zone_is_configurable_and_checked(tmp_path):
    config = load_config(path=os.devnull, env={"CLASSBOX_BOX_TIMEZONE": "America/Cayenne"},
                         overrides={"data_dir": tmp_path / "data"})
    app = create_app(config)
    with app.test_request_context("/"):
        from classbox.classroom.checks import clean_title
        assert clean_title(None, NOV_26_2025_MIDNIGHT_UTC) == "Séance du 25/11/2025 21:00"
    assert load_config(path=os.devnull, env={}, overrides={"data_dir": tmp_path})["box"]["timezone"] == "Europe/Paris"
    with pytest.raises(ConfigError, match=r"\[box\] timezone: unknown time zone 'Mars/Olympus'"):
        load_config(path=os.devnull, env={"CLASSBOX_BOX_TIMEZONE": "Mars/Olympus"}, overrides={"data_dir": tmp_path})

