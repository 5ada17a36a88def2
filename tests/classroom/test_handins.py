"""Hand-in files over HTTP: photos and files, size and type limits, tokens, durable storage, sync."""

import io
import json
from pathlib import Path

import pytest

from tests.classroom.conftest import ack, new_id, received

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%...\n"


@pytest.fixture
def handin(teacher_sio, pupil):
    teacher, code = teacher_sio
    lea, joined = pupil(code, "Léa")
    activity = ack(teacher, "push", {"type": "handin", "instructions": "Votre schéma", "accept": ["photo", "file"]})
    received(teacher)
    return teacher, joined, activity["activity"]


def upload(client, joined, activity, data, kind="photo", filename="photo.png", token=None, submission_id=None):
    return client.post("/api/classroom/handin", data={
        "token": token or joined["token"], "activity_id": activity["id"], "kind": kind,
        "submission_id": submission_id or new_id(), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data")


def test_photo_is_stored_durably_and_queued(app, client, handin, db):
    teacher, joined, activity = handin
    sid = new_id()
    response = upload(app.test_client(), joined, activity, PNG, submission_id=sid)
    assert response.status_code == 200 and response.get_json() == {"ok": True, "submission_id": sid, "duplicate": False}
    row = db["classroom_submissions"].get(sid)
    data_dir = Path(app.config["CLASSBOX"].data_dir)
    assert row["file_path"].startswith("handins/") and (data_dir / row["file_path"]).read_bytes() == PNG
    kinds = {r["kind"]: json.loads(r["payload"]) for r in db.query("SELECT * FROM outbox WHERE payload LIKE '%handed_in%'")}
    assert kinds["webdav"]["path"] == row["file_path"] and kinds["webdav"]["mime"] == "image/png"
    assert kinds["webdav"]["size"] == len(PNG) and len(kinds["webdav"]["sha256"]) == 64
    assert kinds["xapi"]["event"] == "handed_in"
    [[shown]] = received(teacher, "submission")
    assert shown["file"]["mime"] == "image/png" and shown["pupil_name"] == "Léa"
    with client.get(f"/teacher/handins/{sid}") as served:
        assert served.data == PNG and served.headers["X-Content-Type-Options"] == "nosniff"
        # Saved from the browser, the file says whose it is: "Léa - photo.png" (UTF-8 form too).
        disposition = served.headers["Content-Disposition"]
        assert disposition.startswith("inline;") and "filename*=UTF-8''L%C3%A9a%20-%20photo.png" in disposition
    again = upload(app.test_client(), joined, activity, PNG, submission_id=sid)
    assert again.get_json()["duplicate"] is True and db["classroom_submissions"].count == 1


def test_forbidden_types_are_refused(app, handin, db):
    _, joined, activity = handin
    pupil_client = app.test_client()
    assert upload(pupil_client, joined, activity, b"MZ\x90\x00\x03binary\x00", "file", "virus.exe").status_code == 415
    assert upload(pupil_client, joined, activity, b"<html><script>x</script>", "photo", "fake.png").status_code == 415
    assert upload(pupil_client, joined, activity, PDF, "photo", "doc.pdf").status_code == 415  # a PDF is no photo
    assert upload(pupil_client, joined, activity, PDF, "file", "doc.pdf").status_code == 200
    assert db["classroom_submissions"].count == 1


def test_files_over_the_limit_are_refused(app, handin, db):
    _, joined, activity = handin
    app.extensions["classroom"].max_handin_bytes = 1000
    response = upload(app.test_client(), joined, activity, PNG + b"\x00" * 2000)
    assert response.status_code == 413 and response.get_json()["error"] == "file_too_large"
    app.config["MAX_CONTENT_LENGTH"] = 500  # the whole request, as gunicorn's worker sees it
    assert upload(app.test_client(), joined, activity, PNG + b"\x00" * 2000).status_code == 413
    assert db["classroom_submissions"].count == 0
    assert not list((Path(app.config["CLASSBOX"].data_dir)).glob("handins/**/*.png"))


def test_forged_token_and_wrong_activity(app, teacher_sio, handin, db):
    teacher, joined, activity = handin
    pupil_client = app.test_client()
    response = upload(pupil_client, joined, activity, PNG, token=joined["token"] + "x")
    assert response.status_code == 401 and response.get_json()["error"] == "bad_token"
    quiz = ack(teacher, "push", {"type": "quiz", "kind": "text", "question": "?"})["activity"]
    assert upload(pupil_client, joined, quiz, PNG).get_json()["error"] == "not_answerable"
    text_only = ack(teacher, "push", {"type": "handin", "instructions": "Texte", "accept": ["text"]})["activity"]
    assert upload(pupil_client, joined, text_only, PNG).status_code == 400
    assert db["classroom_submissions"].count == 0


def test_removed_pupil_cannot_hand_in(app, teacher_sio, handin):
    teacher, joined, activity = handin
    ack(teacher, "remove_pupil", {"pupil_id": joined["pupil_id"]})
    assert upload(app.test_client(), joined, activity, PNG).status_code == 401


def test_teacher_downloads_an_activitys_hand_ins_as_one_zip(app, client, db, teacher_sio, pupil):
    """Files named "<pupil> - <file>", text hand-ins as text files, two same names kept apart;
    only the session's teacher gets it, and only for a hand-in activity of that session."""
    import zipfile

    from classbox.auth.users import add_user

    teacher, code = teacher_sio
    activity = ack(teacher, "push", {"type": "handin", "instructions": "Votre schéma",
                                     "accept": ["text", "photo", "file"]})["activity"]
    lea, lea_joined = pupil(code, "Léa")
    tom, tom_joined = pupil(code, "Tom/../x")
    assert upload(app.test_client(), lea_joined, activity, PNG, filename="schéma.png").status_code == 200
    assert upload(app.test_client(), lea_joined, activity, PNG, filename="schéma.png").status_code == 200
    assert upload(app.test_client(), tom_joined, activity, PDF, "file", "exposé.pdf").status_code == 200
    assert ack(tom, "submit", {"activity_id": activity["id"], "submission_id": new_id(),
                               "answer": {"text": "La pluie tombe."}})["ok"]

    with client.get(f"/teacher/sessions/{code}/activities/{activity['id']}/handins.zip") as response:
        assert response.status_code == 200 and response.mimetype == "application/zip"
        assert f"travaux-{code}-1.zip" in response.headers["Content-Disposition"]
        body = response.data
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == ["Léa - schéma.png", "Léa - schéma (2).png", "Tom_.._x - exposé.pdf", "Tom_.._x - texte.txt"]
        assert archive.read("Léa - schéma (2).png") == PNG and archive.read("Tom_.._x - exposé.pdf") == PDF
        assert archive.read("Tom_.._x - texte.txt").decode() == "La pluie tombe."
    left = [p for p in (Path(app.config["CLASSBOX"].data_dir) / "tmp").iterdir() if p.suffix != ".lock"]
    assert left == [], "no archive left on disk"
    pdf = next(Path(app.config["CLASSBOX"].data_dir).glob("handins/**/*.pdf"))
    pdf.unlink()  # erased meanwhile: the others still come
    with client.get(f"/teacher/sessions/{code}/activities/{activity['id']}/handins.zip") as response:
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            assert "Tom_.._x - exposé.pdf" not in archive.namelist() and len(archive.namelist()) == 3

    quiz = ack(teacher, "push", {"type": "quiz", "kind": "text", "question": "?"})["activity"]
    assert client.get(f"/teacher/sessions/{code}/activities/{quiz['id']}/handins.zip").status_code == 404
    assert client.get(f"/teacher/sessions/{code}/activities/nope/handins.zip").status_code == 404
    add_user(db, "m.durand", "teacher", "another-pass-1")
    other = app.test_client()
    other.post("/login", data={"login": "m.durand", "password": "another-pass-1"})
    assert other.get(f"/teacher/sessions/{code}/activities/{activity['id']}/handins.zip").status_code == 403
    refused = app.test_client().get(f"/teacher/sessions/{code}/activities/{activity['id']}/handins.zip")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"], "a pupil's device is sent to login"
