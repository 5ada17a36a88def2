"""The teacher's lessons pages in Chromium: create, reorder by keyboard, finger and mouse, preview, import GIFT; axe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.test_classroom_flow import accessible_everywhere

pytestmark = pytest.mark.peer

GIFT = Path(__file__).resolve().parents[1] / "lessons" / "fixtures" / "moodle-export.gift"


def saved_texts(page, lesson_id: str) -> list[str]:
    """The steps' texts as the box has them (read through the API, not the page)."""
    lesson = page.evaluate("(id) => fetch('/api/lessons/' + id).then((r) => r.json())", lesson_id)
    return [step.get("text") or step.get("question") for step in lesson["steps"]]


def shown_texts(page) -> list[str]:
    return page.eval_on_selector_all("#steps .step-text", "(nodes) => nodes.map((n) => n.textContent.trim())")


def add_message(page, text: str) -> None:
    page.select_option("#new-step-type", "message")
    page.click("#add-step")
    page.fill("#message-text", text)
    page.click("#save-step")
    page.wait_for_selector(f"#steps .step-text:text-is('{text}')")


def wait_moved(page) -> None:
    page.wait_for_function("() => document.querySelector('#reorder-status').textContent.startsWith('Étape déplacée')")


def drag(page, handle: str, target: str, by: str) -> None:
    """Drag a step's handle past the middle of another step, with a finger (CDP touch events) or the mouse."""
    start, end = page.locator(handle).bounding_box(), page.locator(target).bounding_box()
    x, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    y1 = end["y"] + end["height"] * (0.75 if end["y"] > start["y"] else 0.25)  # past the target's middle
    if by == "mouse":
        page.mouse.move(x, y0)
        page.mouse.down()
        for i in range(1, 11):
            page.mouse.move(x, y0 + (y1 - y0) * i / 10)
        page.mouse.up()
        return
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y0}]})
    for i in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y0 + (y1 - y0) * i / 10}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_a_teacher_builds_and_reorders_a_lesson_by_keyboard_finger_and_mouse(contexts, report):
    page = contexts("tablet", role="teacher", has_touch=True).new_page()
    page.goto("/teacher/lessons")
    accessible_everywhere(page, report, "lecons", sizes=("phone", "tablet"))
    page.fill("#lesson-title", "Ordre e2e")
    page.click("#create-lesson")
    lesson_id = re.search(r"/teacher/lessons/(\d+)$", page.url).group(1)
    for text in ("un", "deux", "trois"):
        add_message(page, text)
    assert page.is_visible("#step-0 .drag-handle"), "the script shows the drag handles"
    accessible_everywhere(page, report, "lecon", sizes=("phone", "tablet"))

    # Keyboard: the handle of step 3, arrow up; the focus stays on the moved step's handle.
    page.focus("#step-2 .drag-handle")
    page.keyboard.press("ArrowUp")
    wait_moved(page)
    assert saved_texts(page, lesson_id) == ["un", "trois", "deux"] == shown_texts(page)
    assert page.evaluate("() => document.activeElement.closest('li').id") == "step-1"
    assert page.inner_text("#reorder-status") == "Étape déplacée : position 2 sur 3."

    # Finger: the handle of step 1 dragged below step 2 (touch events, as a tablet sends them).
    page.evaluate("() => { window.seenPointers = []; document.addEventListener('pointerdown', "
                  "(e) => window.seenPointers.push(e.pointerType), true); }")
    page.evaluate("() => { document.querySelector('#reorder-status').textContent = ''; }")
    drag(page, "#step-0 .drag-handle", "#step-1", by="touch")
    wait_moved(page)
    assert page.evaluate("() => window.seenPointers") == ["touch"]
    assert saved_texts(page, lesson_id) == ["trois", "un", "deux"] == shown_texts(page)

    # Mouse: the last step dragged onto the first.
    page.evaluate("() => { document.querySelector('#reorder-status').textContent = ''; }")
    drag(page, "#step-2 .drag-handle", "#step-0", by="mouse")
    wait_moved(page)
    assert saved_texts(page, lesson_id) == ["deux", "trois", "un"] == shown_texts(page)

    # The buttons work too (a plain form post, the page reloads at the step).
    page.click("#step-0 .move-down")
    page.wait_for_load_state()
    assert saved_texts(page, lesson_id) == ["trois", "deux", "un"] == shown_texts(page)


def test_a_stale_tab_gets_the_boxs_order_back_with_the_reason(contexts):
    context = contexts("tablet", role="teacher")
    first = context.new_page()
    first.goto("/teacher/lessons")
    first.fill("#lesson-title", "Deux onglets e2e")
    first.click("#create-lesson")
    lesson_id = re.search(r"/teacher/lessons/(\d+)$", first.url).group(1)
    for text in ("a", "b"):
        add_message(first, text)
    second = context.new_page()
    second.goto(first.url)
    first.click("#step-0 .move-down")
    first.wait_for_load_state()
    second.focus("#step-0 .drag-handle")
    second.keyboard.press("ArrowDown")
    second.wait_for_function("() => document.querySelector('#reorder-status').textContent.includes('modifiée ailleurs')")
    assert saved_texts(second, lesson_id) == ["b", "a"] == shown_texts(second)


def test_a_teacher_makes_a_quiz_previews_it_and_imports_a_gift_file(contexts, report):
    page = contexts("tablet", role="teacher").new_page()
    page.goto("/teacher/lessons")
    page.fill("#lesson-title", "Quiz e2e")
    page.click("#create-lesson")
    page.select_option("#new-step-type", "quiz:number")
    page.click("#add-step")
    accessible_everywhere(page, report, "lecon-etape", sizes=("phone", "tablet"))
    page.fill("#question", "Combien vaut π, à 0,01 près ?")
    page.fill("#answer", "3,14")
    page.fill("#tolerance", "0,01")
    page.fill("#duration", "30")
    page.click("#save-step")
    assert "3,14 ± 0,01" in page.inner_text("#steps")
    page.click("#steps a:text-is('Aperçu')")
    pupil = page.inner_text("#pupil-preview")
    assert "Combien vaut π, à 0,01 près ?" in pupil and "Ton nombre" in pupil and "30 s" in pupil
    assert "3,14" not in pupil.replace("à 0,01 près", "")
    accessible_everywhere(page, report, "lecon-apercu", sizes=("phone", "tablet"))

    page.goto("/teacher/lessons")
    page.set_input_files("#lesson-file", str(GIFT))
    page.click("#import-lessons")
    assert "2 leçon(s) importée(s), 1 question(s) ignorée(s)." in page.inner_text("#import-summary")
    assert page.inner_text("#skipped").startswith("Ligne 47 (Appariement) :")
    accessible_everywhere(page, report, "lecons-import", sizes=("phone", "tablet"))
    page.click("#imported-lessons a >> nth=0")
    assert page.locator("#steps > li").count() == 7


def test_a_pack_carrying_a_lesson_is_read_only_and_duplicated_to_change_it(contexts, box, report):
    from classbox.library import import_path
    from classbox.library.packs import remove_pack
    from tests.helpers import make_config

    example = Path(__file__).resolve().parents[2] / "examples" / "packs" / "fractions-cycle3"
    config = make_config(box.data_dir)
    import_path(config, example)  # as `classbox library import` next to the running box
    try:
        check_pack_lesson(contexts("tablet", role="teacher").new_page(), report)
    finally:
        remove_pack(config, "exemple-fractions-c3")  # the other e2e tests' library stays as it was


def check_pack_lesson(page, report) -> None:
    """The example pack's lesson: read-only, previewed, its resource opened, duplicated."""
    page.goto("/teacher/lessons")
    page.click("#pack-lessons-title ~ table a:text-is('Les fractions : une séance (cycle 3)')")
    assert "lecture seule" in page.inner_text("#read-only-note")
    assert page.locator("#steps .move-up, #steps .drag-handle, #add-step").count() == 0
    accessible_everywhere(page, report, "lecon-paquet", sizes=("phone", "tablet"))
    page.click("#steps a:text-is('Aperçu') >> nth=1")
    with page.expect_navigation():
        page.click("#open-resource")
    assert re.search(r"/library/[0-9a-f]{16}$", page.url) and "Les fractions" in page.inner_text("main")
    page.goto("/teacher/lessons")
    page.click("#pack-lessons-title ~ table a:text-is('Les fractions : une séance (cycle 3)')")
    page.click("#duplicate")
    assert page.inner_text("h1") == "Copie de Les fractions : une séance (cycle 3)"
    assert page.locator("#steps > li").count() == 7 and page.locator("#add-step").count() == 1
