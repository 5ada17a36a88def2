"""The classroom's real outbox payloads become valid statements and WebDAV folders."""

from __future__ import annotations

from classbox.classroom import payloads
from classbox.sync.clock import Dated
from classbox.sync.connectors.webdav import WebdavConnector
from classbox.sync.link import Link
from classbox.sync.outbox import OutboxRecord
from classbox.sync.statements import StatementBuilder

PUPIL = {"id": "p-9c1e", "name": "Léa"}
SESSION = {"id": 3, "code": "K7Q2", "title": "CM2 sciences", "teacher_login": "mme.martin"}
QUIZ = {"id": 12, "type": "quiz", "spec": {"question": "Où va la pluie ?", "kind": "choice",
                                           "choices": ["mer", "nuage"], "answer": 1}}


def test_attendance_answer_and_hand_in_payloads_build():
    builder = StatementBuilder("http://cb-1.classbox.invalid", "cb-1")
    when = Dated(1_800_000_000.0, True)
    attended = payloads.xapi_payload("attended", "3fa85f64-5717-4562-b3fc-2c963f66afa6", PUPIL, SESSION,
                                     None, "", None, 1)
    statement = builder.build(attended, attended["statement_id"], 1, when)
    assert statement["verb"]["id"].endswith("/attended")
    assert statement["object"]["id"] == "http://cb-1.classbox.invalid/sessions/3"
    answered = payloads.xapi_payload("answered", "3fa85f64-5717-4562-b3fc-2c963f66afa7", PUPIL, SESSION,
                                     QUIZ, "1", True, 2)
    statement = builder.build(answered, answered["statement_id"], 2, when)
    assert statement["object"]["id"] == "http://cb-1.classbox.invalid/activities/12"
    assert statement["result"]["success"] is True and statement["result"]["score"]["raw"] == 1
    assert statement["context"]["instructor"]["account"]["name"] == "mme.martin"
    assert statement["actor"]["account"]["name"] == "p-9c1e"

    hand_in = payloads.webdav_payload("submissions/ab.pdf", "exposé.pdf", "application/pdf", 10, "0" * 64,
                                      PUPIL, SESSION, {"id": 13, "type": "handin", "spec": {"instructions": "Rends"}}, 3)
    record = OutboxRecord(3, "webdav", "workspace", hand_in, "webdav:s-1", "p-9c1e", 1, None, None, None)
    dav = WebdavConnector(Link(), "http://dav.test/dav", "", "", "classbox", ".", "0330001A",
                          lambda r: when)
    assert dav.folder(record) == ["classbox", "0330001A", "CM2-sciences", "2027-01-15-K7Q2", "Lea-p-9c1e"]
    dav.link.close()
