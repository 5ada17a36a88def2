"""A photo handed in without Wi-Fi, in a real browser: it waits on the tablet (IndexedDB), outlives
the page, and reaches the teacher once, with the uuid made on the tablet."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.e2e.test_classroom_flow import join_by_code, open_session

pytestmark = pytest.mark.peer

PHOTO = (Path(__file__).resolve().parents[2] / "classbox" / "static" / "pwa" / "icon-512.png").read_bytes()


def push_handin(teacher, instructions: str) -> None:
    teacher.click("summary:has-text('Rendre un travail')")
    teacher.fill("#handin-instructions", instructions)
    teacher.click("#push-handin-button")


def asked_for_a_photo(contexts, name: str, instructions: str = "Une photo de ton cahier."):
    """A teacher's session asking for a photo, and a pupil's phone showing the form:
    (teacher page, pupil page, the pupil's browser context, join code)."""
    teacher = contexts("tablet", role="teacher").new_page()
    code = open_session(teacher)
    pupil_context = contexts("phone")
    pupil = pupil_context.new_page()
    join_by_code(pupil, code, name)
    push_handin(teacher, instructions)
    pupil.wait_for_selector("#handin-photo-form")
    return teacher, pupil, pupil_context, code


def test_a_photo_taken_offline_reaches_the_teacher_once_after_the_page_was_closed(contexts):
    teacher, lea, lea_context, code = asked_for_a_photo(contexts, "Léa", "Photographie ton schéma du cycle de l'eau.")

    # The Wi-Fi drops; Léa takes the photo and sends it: it stays on the tablet.
    lea_context.set_offline(True)
    lea.wait_for_function("() => document.querySelector('#connection-status').textContent.includes('perdue')")
    lea.set_input_files("#handin-photo", files=[{"name": "schéma.png", "mimeType": "image/png", "buffer": PHOTO}])
    lea.click("#send-photo")
    lea.wait_for_function("() => document.querySelector('#answer-status').textContent.includes('Hors connexion')")
    queued = lea.evaluate("""async () => (await ClassboxOutbox.pending()).map(r =>
        ({id: r.submission_id, kind: r.kind, name: r.filename, size: r.file.size}))""")
    assert len(queued) == 1 and queued[0]["kind"] == "photo" and queued[0]["name"] == "schéma.png", queued
    assert queued[0]["size"] == len(PHOTO)

    # She closes the page before the Wi-Fi comes back; later she opens the session again.
    lea.close()
    lea_context.set_offline(False)
    lea = lea_context.new_page()
    lea.goto(f"/join/{code}")
    lea.wait_for_selector("#join-panel", state="hidden")
    lea.wait_for_function("async () => (await ClassboxOutbox.pending()).length === 0", polling=200)

    # The teacher sees the photo once, under the id made on the tablet, with the same bytes.
    link = f"#answers a[href='/teacher/handins/{queued[0]['id']}']"
    teacher.wait_for_selector(link)
    assert teacher.inner_text(link) == "schéma.png"
    photo = teacher.request.get(f"/teacher/handins/{queued[0]['id']}")
    assert photo.status == 200 and photo.body() == PHOTO
    results = teacher.request.get(f"/api/sessions/{code}/results").json()
    handed = [row for row in results["submissions"] if row["pupil_name"] == "Léa"]
    assert [row["id"] for row in handed] == [queued[0]["id"]], handed

    # Every hand-in of the activity in one ZIP, from the dashboard's link.
    teacher.wait_for_selector("#handins-zip", state="visible")
    with teacher.expect_download() as download:
        teacher.click("#handins-zip")
    with zipfile.ZipFile(download.value.path()) as archive:
        assert archive.namelist() == ["Léa - schéma.png"] and archive.read("Léa - schéma.png") == PHOTO


def test_a_photo_the_box_refuses_is_not_kept_on_the_tablet(contexts):
    _, tom, _, _ = asked_for_a_photo(contexts, "Tom")
    tom.set_input_files("#handin-photo", files=[{"name": "cahier.png", "mimeType": "image/png",
                                                 "buffer": b"not a picture at all"}])
    tom.click("#send-photo")
    tom.wait_for_function("() => document.querySelector('#answer-status').textContent.startsWith('Ce type')")
    assert tom.inner_text("#answer-status").startswith("Ce type de fichier n'est pas accepté")
    assert tom.evaluate("async () => (await ClassboxOutbox.pending()).length") == 0


def test_a_photo_the_tablet_cannot_keep_is_sent_at_once(contexts):
    """Storage full or private browsing: the outbox refuses the photo, it goes straight to the box."""
    teacher, zoe, _, _ = asked_for_a_photo(contexts, "Zoé")
    zoe.evaluate("() => { ClassboxOutbox.enqueue = () =>"
                 " Promise.reject(new DOMException('full', 'QuotaExceededError')); }")
    zoe.set_input_files("#handin-photo", files=[{"name": "cahier.png", "mimeType": "image/png", "buffer": PHOTO}])
    zoe.click("#send-photo")
    zoe.wait_for_function("() => document.querySelector('#answer-status').textContent.includes('✔')")
    teacher.wait_for_selector("#answers a:has-text('cahier.png')")


def test_a_photo_the_box_fails_to_store_is_kept_and_sent_again(contexts):
    """A 500 from the box (disk trouble) is the box's fault, not the photo's: the tablet keeps it
    and tries again on its own while the page stays open."""
    teacher, noe, _, _ = asked_for_a_photo(contexts, "Noé")
    failures = []

    def box_in_trouble(route):
        failures.append(route.request.url)
        route.fulfill(status=500, json={"ok": False, "error": "internal_server_error", "message": "Erreur."})

    noe.route("**/api/classroom/handin", box_in_trouble)
    noe.set_input_files("#handin-photo", files=[{"name": "cahier.png", "mimeType": "image/png", "buffer": PHOTO}])
    with noe.expect_request("**/api/classroom/handin"):
        noe.click("#send-photo")
    noe.wait_for_function("() => document.querySelector('#envoi').dataset.state === 'waiting'")
    assert failures and noe.evaluate("async () => (await ClassboxOutbox.pending()).length") == 1, "kept after a 500"
    noe.unroute("**/api/classroom/handin")  # the box is fine again
    teacher.wait_for_selector("#answers a:has-text('cahier.png')", timeout=20_000)
    noe.wait_for_function("async () => (await ClassboxOutbox.pending()).length === 0")
