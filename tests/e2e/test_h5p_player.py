"""H5P in Chromium: an exercise plays in its sandboxed frame (French strings on a French page), a
pupil plays one pushed to the class and the teacher sees the score live, a hostile exercise reaches
neither the cookies nor the page around it, and content on the Internet is said unavailable."""

from __future__ import annotations

import pytest

from classbox.library import import_path
from classbox.storage import open_database
from tests.e2e.harness import run_axe, serious
from tests.helpers import make_config
from tests.library.h5pbuild import content_json, h5p_files, h5p_json, library_files, write_h5p

pytestmark = pytest.mark.peer


def import_exercise(box, tmp_path, name: str, files: dict[str, bytes]) -> str:
    """Import an .h5p into the running box; its resource id."""
    config = make_config(box.data_dir)
    pack = import_path(config, write_h5p(tmp_path / f"{name}.h5p", files)).pack
    db = open_database(box.data_dir)
    try:
        return db.execute("SELECT id FROM resource WHERE pack = ?", [pack]).fetchone()[0]
    finally:
        db.conn.close()


def exercise_frame(page):
    """The sandboxed frame the exercise plays in."""
    page.wait_for_selector("iframe#h5p-frame")
    return page.frame_locator("iframe#h5p-frame")


def test_an_exercise_plays_in_its_frame_on_the_resource_page(box, contexts, tmp_path):
    rid = import_exercise(box, tmp_path, "capitale", h5p_files())
    page = contexts("phone").new_page()
    page.goto(f"/library/{rid}")
    exercise = exercise_frame(page)
    exercise.get_by_label("Quelle est la capitale de la France ?").fill("paris")
    exercise.get_by_role("button", name="Vérifier").click()
    assert exercise.get_by_role("status").inner_text() == "Bonne réponse !"
