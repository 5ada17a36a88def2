"""In a real browser: a photo handed in on a full disk says so (not "Hors connexion") and arrives
once room is made; the teacher closes joining and removes ticked pupils with the keyboard alone."""

from __future__ import annotations

import pytest

from tests.e2e.harness import NetworkLog, login, new_context
from tests.e2e.test_classroom_flow import join_by_code, open_session
from tests.e2e.test_handin_offline import PHOTO, asked_for_a_photo, push_handin
from tests.helpers import LiveServer, fill_disk, make_config, tmpfs, with_accounts

pytestmark = pytest.mark.peer
TEACHER = ("disque.prof", "prof-disque-password-1")


@pytest.fixture
def full_disk_box(tmp_path):
    """`classbox serve` whose data dir is a real 24 MB filesystem (tmpfs), with no hand-in floor."""
    with tmpfs(tmp_path / "disk", 24) as mount:
        data = mount / "data"
        with_accounts(make_config(data), (TEACHER[0], "teacher", TEACHER[1], "M. Disque"))
        with LiveServer(data, extra_env={"CLASSBOX_DISCOVERY_ENABLED": "false", "CLASSBOX_SYNC_ENABLED": "false",
                                         "CLASSBOX_CLASSROOM_HANDIN_MIN_FREE_MB": "0"}) as server:
            yield server, data


def test_a_photo_on_a_full_disk_says_so_and_arrives_once_room_is_made(browser, full_disk_box):
    server, data = full_disk_box
    network = NetworkLog(server.url)
    teacher_context = new_context(browser, server.url, "tablet", "fr-FR", network)
    pupil_context = new_context(browser, server.url, "phone", "fr-FR", network)
    try:
        teacher = teacher_context.new_page()
        login(teacher, TEACHER)
        code = open_session(teacher)
        lea = pupil_context.new_page()
        join_by_code(lea, code, "Léa")
        push_handin(teacher, "Une photo de ton cahier.")
        lea.wait_for_selector("#handin-photo-form")
        filler = fill_disk(data)
        lea.set_input_files("#handin-photo", files=[{"name": "cahier.png", "mimeType": "image/png", "buffer": PHOTO}])
        lea.click("#send-photo")
        lea.wait_for_function("() => document.querySelector('#answer-status').textContent.includes('enregistrer')")
        assert "Hors connexion" not in lea.inner_text("#answer-status")
        assert lea.evaluate("async () => (await ClassboxOutbox.pending()).length") == 1  # kept on the phone
        filler.unlink()  # the technician makes room: the phone sends it again on its own
        teacher.wait_for_selector("#answers a:has-text('cahier.png')", timeout=20_000)
        lea.wait_for_function("() => document.querySelector('#answer-status').textContent.includes('✔')")
        assert not [p for p in (data / "handins").rglob("*") if p.is_file() and p.name.endswith(".tmp")]
    finally:
        teacher_context.close()
        pupil_context.close()
    network.assert_only_box()


def test_the_teacher_closes_joining_and_removes_ticked_pupils_with_the_keyboard(contexts):
    teacher, lea, _, code = asked_for_a_photo(contexts, "Léa")
    tom = contexts("phone").new_page()
    join_by_code(tom, code, "Tom")
    teacher.wait_for_selector("#pupil-list label:has-text('Tom')")

    teacher.focus("#joining-toggle")
    teacher.keyboard.press("Enter")
    teacher.wait_for_function("() => document.querySelector('#joining-toggle').getAttribute('aria-pressed') === 'true'")
    assert teacher.inner_text("#joining-toggle") == "Rouvrir les inscriptions"
    assert "fermées" in teacher.inner_text("#joining-status")
    late = contexts("phone").new_page()
    late.goto(f"/join/{code}")
    late.fill("#pupil-name", "Faux")
    late.press("#pupil-name", "Enter")
    late.wait_for_function("() => document.body.innerText.includes('fermé les inscriptions')")

    teacher.on("dialog", lambda dialog: dialog.accept())
    for name in ("Léa", "Tom"):
        box = teacher.locator(f"#pupil-list li:has(label:text-is('{name}')) input.target")
        box.focus()
        teacher.keyboard.press("Space")
    teacher.focus("#remove-selected")
    teacher.keyboard.press("Enter")
    teacher.wait_for_function("() => document.querySelector('#remove-status').textContent.includes('2')")
    teacher.wait_for_function("() => !document.querySelector('#pupil-list label')")
    lea.wait_for_function("() => document.body.innerText.includes('retiré')")
