"""Sessions and joining: codes, names, device tokens, rename/remove, close."""

import pytest

from classbox.classroom.codes import ALPHABET, new_code, normalize_code
from classbox.sync.records import statement_id

from tests.classroom.conftest import ack, received


def test_codes_have_six_unambiguous_characters():
    for _ in range(200):
        code = new_code()
        assert len(code) == 6 and set(code) <= set(ALPHABET)
    assert not set("0O1IL") & set(ALPHABET)
    assert normalize_code(" abc-234 ") == "ABC234"
    assert normalize_code("ABC0DE") is None and normalize_code(None) is None


def test_open_session_gives_code_and_join_url(teacher_sio):
    sio, code = teacher_sio
    assert normalize_code(code) == code


def test_pupil_joins_with_a_pseudonym(teacher_sio, pupil):
    teacher, code = teacher_sio
    _, joined = pupil(code.lower(), "  Léa  ")
    assert joined["ok"] and joined["name"] == "Léa"
    assert joined["session"]["code"] == code and joined["activity"] is None
    assert joined["pupil_id"] and joined["token"]
    presence = received(teacher, "presence")
    assert presence == [{"pupil_id": joined["pupil_id"], "name": "Léa", "online": True}]


def test_device_token_brings_the_same_pupil_back(teacher_sio, pupil):
    teacher, code = teacher_sio
    first, joined = pupil(code, "Léa")
    first.disconnect(namespace="/classroom")
    _, again = pupil(code, token=joined["token"])
    assert again["ok"] and again["pupil_id"] == joined["pupil_id"] and again["name"] == "Léa"


def test_unknown_and_closed_codes_are_refused(teacher_sio, pupil):
    teacher, code = teacher_sio
    _, unknown = pupil("ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY")
    assert unknown == {"ok": False, "error": "unknown_code", "message": unknown["message"]}
    assert "code" in unknown["message"]
    _, garbage = pupil("<script>")
    assert garbage["error"] == "unknown_code"
    assert ack(teacher, "close_session")["ok"]
    _, closed = pupil(code)
    assert closed["error"] == "closed"


def test_real_names_of_a_french_class_are_accepted(teacher_sio, pupil):
    _, code = teacher_sio
    for name in ["N'Diaye", "D'Amico", "Zoé & Léo", "Jean-Émile", "Ana María", "O\u2019Neil", "Lou \"Lulu\"",
                 "Ève {B}", "<b>Léa</b>", "x" * 30]:
        _, joined = pupil(code, name)
        assert joined["ok"] and joined["name"] == name, (name, joined)


@pytest.mark.parametrize("name, detail, message", [
    ("", "empty", "Écrivez un prénom ou un pseudo."),
    ("   ", "empty", "Écrivez un prénom ou un pseudo."),
    ("x" * 31, "too_long", "Ce prénom a 31 caractères : 30 au plus."),
    ("a\u0000b", "control", "Ce prénom contient un caractère de contrôle refusé : U+0000."),
    ("L\u202eéa", "control", "Ce prénom contient un caractère de contrôle refusé : U+202E."),
    ("\u3164", "invisible", "Ce prénom ne contient aucun caractère visible."),
    ("\u200b\u200b", "invisible", "Ce prénom ne contient aucun caractère visible."),
    ("\u3164 \u2800\ufeff", "invisible", "Ce prénom ne contient aucun caractère visible."),
    (42, "malformed", "Écrivez un prénom ou un pseudo."),
    (None, "malformed", "Écrivez un prénom ou un pseudo."),
])
def test_unusable_names_are_refused_saying_exactly_why(teacher_sio, pupil, name, detail, message):
    _, code = teacher_sio
    _, joined = pupil(code, name)
    assert joined == {"ok": False, "error": "invalid_name", "detail": detail, "message": message}


def test_forged_stale_and_foreign_tokens_are_refused(app, teacher_sio, pupil, socketio_client, client):
    teacher, code = teacher_sio
    _, joined = pupil(code, "Léa")
    token = joined["token"]
    _, forged = pupil(code, token=token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    assert forged["error"] == "bad_token"
    _, nonsense = pupil(code, token="not-a-token")
    assert nonsense["error"] == "bad_token"
    # a token for another session does not open this one
    other = ack(teacher, "open_session", {"title": "autre"})["code"]
    _, foreign = pupil(other, token=token)
    assert foreign["error"] == "bad_token"


def test_expired_token_is_refused(app, teacher_sio, pupil, monkeypatch):
    from classbox.classroom import tokens

    _, code = teacher_sio
    _, joined = pupil(code, "Léa")
    monkeypatch.setattr(tokens.read_token, "__defaults__", (-1,))
    _, stale = pupil(code, token=joined["token"])
    assert stale["error"] == "bad_token"


def test_teacher_renames_and_removes_a_pupil(teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    ack(teacher, "watch", {"code": code})
    assert ack(teacher, "rename_pupil", {"pupil_id": joined["pupil_id"], "name": "Léa M."})["ok"]
    assert received(lea, "renamed") == [{"pupil_id": joined["pupil_id"], "name": "Léa M."}]
    assert ack(teacher, "remove_pupil", {"pupil_id": joined["pupil_id"]})["ok"]
    assert not lea.is_connected("/classroom")
    _, back = pupil(code, token=joined["token"])
    assert back["error"] == "removed"
    assert ack(teacher, "remove_pupil", {"pupil_id": "nobody"})["error"] == "unknown_pupil"


def test_session_is_full(app, teacher_sio, pupil):
    app.extensions["classroom"].max_pupils = 2
    _, code = teacher_sio
    assert pupil(code, "A")[1]["ok"] and pupil(code, "B")[1]["ok"]
    assert pupil(code, "C")[1]["error"] == "full"


def test_join_is_recorded_for_the_ent_as_attendance(teacher_sio, pupil, db):
    import json

    _, code = teacher_sio
    _, joined = pupil(code, "Léa")
    rows = list(db.query("SELECT * FROM outbox WHERE pupil_id = ?", [joined["pupil_id"]]))
    assert len(rows) == 1 and rows[0]["kind"] == "xapi" and rows[0]["target"] == "lrs"
    payload = json.loads(rows[0]["payload"])
    assert payload["event"] == "attended"
    assert rows[0]["idempotency_key"] == statement_id("attended", joined["pupil_id"])
    assert payload["pupil"] == {"id": joined["pupil_id"], "name": "Léa"}
    assert payload["session"]["code"] == code and payload["session"]["teacher"] == "mme.martin"


def test_a_teacher_device_that_joins_becomes_a_pupil(teacher_sio, pupil):
    teacher, code = teacher_sio
    joined = ack(teacher, "join", {"code": code, "name": "Essai"})
    assert joined["ok"]
    assert ack(teacher, "push", {"type": "message", "text": "x"})["error"] == "forbidden"
