"""Lessons in content packs: checked against the pack's files, read-only, updated and removed with the pack."""

from __future__ import annotations

import json

import jsonschema
import pytest

from classbox.auth.users import add_user
from classbox.lessons.edits import LessonReadOnly, duplicate_lesson, update_lesson
from classbox.library import PackError, import_path
from classbox.library.manifest import parse_manifest
from classbox.library.packs import remove_pack, resource_id
from classbox.storage import open_database
from tests.helpers import make_config
from tests.library.conftest import library_state, manifest, write_folder, write_zip

SEQUENCE = {"title": "Le cycle de l'eau (CM1)", "steps": [
    {"type": "message", "text": "Regardez la leçon, puis répondez."},
    {"type": "resource", "path": "lecons/eau.html"},
    {"type": "resource", "path": "images/éléphant.svg", "title": "Un schéma"},
    {"type": "quiz", "kind": "single", "question": "L'eau s'évapore-t-elle ?", "choices": ["Oui", "Non"], "correct": 0},
]}


@pytest.fixture
def lib_config(tmp_path):
    return make_config(tmp_path / "data", **{"library.min_free_mb": 1})


def pack_lessons(config) -> dict[str, dict]:
    """The pack lessons in the database: {title: {id, version, steps}}."""
    from classbox.lessons.store import get_lesson

    db = open_database(config.data_dir)
    try:
        rows = db.execute("SELECT id, title FROM lessons WHERE pack_id IS NOT NULL").fetchall()
        return {title: get_lesson(db, lesson_id, None) for lesson_id, title in rows}
    finally:
        db.conn.close()


def lessons_state(config) -> list:
    db = open_database(config.data_dir)
    try:
        return [db.execute("SELECT * FROM lessons ORDER BY id").fetchall(),
                db.execute("SELECT * FROM lesson_steps ORDER BY lesson_id, position").fetchall()]
    finally:
        db.conn.close()


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_a_pack_lesson_points_at_the_packs_own_files(lib_config, tmp_path, form):
    data = manifest(lessons=[SEQUENCE])
    source = write_folder(tmp_path / "p", data) if form == "folder" else write_zip(tmp_path / "p.zip", data)
    import_path(lib_config, source)
    lesson = pack_lessons(lib_config)["Le cycle de l'eau (CM1)"]
    assert lesson["pack_id"] == "sciences-c3" and lesson["read_only"] is True
    assert lesson["steps"][1:3] == [
        {"type": "resource", "title": "Le cycle de l'eau", "resource_id": resource_id("sciences-c3", "lecons/eau.html")},
        {"type": "resource", "title": "Un schéma", "resource_id": resource_id("sciences-c3", "images/éléphant.svg")}]


@pytest.mark.parametrize("step, said", [
    ({"type": "resource", "path": "videos/absente.webm"},
     "leçon lessons[0] \"Le cycle de l'eau (CM1)\", étape 5 : le fichier videos/absente.webm n'est pas dans le paquet"),
    ({"type": "resource", "resource_id": "abc"},
     "leçon lessons[0] \"Le cycle de l'eau (CM1)\", étape 5 : une ressource d'un paquet se désigne par le chemin"),
    ({"type": "quiz", "kind": "single", "question": "?", "choices": ["a"]},
     "lessons[0] \"Le cycle de l'eau (CM1)\".steps[4] : étape incorrecte (choices: 2 to 10)"),
])
def test_a_bad_pack_lesson_refuses_the_whole_pack_and_names_lesson_and_step(lib_config, tmp_path, step, said):
    import_path(lib_config, write_folder(tmp_path / "v1", manifest(lessons=[SEQUENCE])))
    before, lessons_before = library_state(lib_config.data_dir), lessons_state(lib_config)
    bad = manifest(version="2", lessons=[{**SEQUENCE, "steps": [*SEQUENCE["steps"], step]}])
    with pytest.raises(PackError) as refused:
        import_path(lib_config, write_folder(tmp_path / "v2", bad))
    assert said in refused.value.shown_in(lambda text, **params: text % params)
    assert library_state(lib_config.data_dir) == before and lessons_state(lib_config) == lessons_before


def test_a_newer_pack_version_updates_its_lessons_in_place_and_removal_keeps_teachers_copies(lib_config, tmp_path):
    import_path(lib_config, write_folder(tmp_path / "v1", manifest(lessons=[SEQUENCE, {"title": "Vieille", "steps": []}])))
    first = pack_lessons(lib_config)
    db = open_database(lib_config.data_dir)
    try:
        add_user(db, "mme.martin", "teacher", "correct-horse-1")
        teacher = {"id": db.execute("SELECT id FROM users").fetchone()[0], "login": "mme.martin"}
        copy = duplicate_lesson(db, first[SEQUENCE["title"]]["id"], teacher, "Ma copie")
        with pytest.raises(LessonReadOnly):
            update_lesson(db, first[SEQUENCE["title"]]["id"], teacher, "x", [], 1)
    finally:
        db.conn.close()
    changed = {**SEQUENCE, "steps": SEQUENCE["steps"][:2]}
    import_path(lib_config, write_folder(tmp_path / "v2", manifest(version="2", lessons=[changed, {"title": "Nouvelle", "steps": []}])))
    second = pack_lessons(lib_config)
    assert set(second) == {SEQUENCE["title"], "Nouvelle"}
    kept = second[SEQUENCE["title"]]
    assert kept["id"] == first[SEQUENCE["title"]]["id"] and kept["version"] == 2 and len(kept["steps"]) == 2
    import_path(lib_config, write_folder(tmp_path / "v3", manifest(version="3", lessons=[changed, {"title": "Nouvelle", "steps": []}])))
    assert pack_lessons(lib_config)[SEQUENCE["title"]]["version"] == 2, "unchanged steps keep their version"
    remove_pack(lib_config, "sciences-c3")
    assert pack_lessons(lib_config) == {}
    db = open_database(lib_config.data_dir)
    try:
        assert db.execute("SELECT title, owner_login FROM lessons WHERE id = ?", [copy]).fetchone() == ("Ma copie", "mme.martin")
        assert db.execute("SELECT count(*) FROM lesson_steps WHERE lesson_id = ?", [copy]).fetchone()[0] == 4
        assert db.execute("SELECT count(*) FROM lesson_steps WHERE lesson_id NOT IN (SELECT id FROM lessons)").fetchone()[0] == 0
    finally:
        db.conn.close()


def test_two_pack_lessons_with_one_title_are_refused(lib_config, tmp_path):
    with pytest.raises(PackError, match="two lessons of the pack have this title"):
        import_path(lib_config, write_folder(tmp_path / "p", manifest(lessons=[SEQUENCE, SEQUENCE])))
    assert pack_lessons(lib_config) == {}


@pytest.mark.parametrize("step", [
    {"type": "resource", "resource_id": "abc", "title": "x"}, {"type": "resource", "title": "sans chemin"},
    {"type": "quiz", "kind": "single", "question": "?", "choices": ["a"]}, {"type": "video"},
])
def test_the_pack_schema_and_the_importer_refuse_the_same_lesson_steps(step):
    from tests.library.test_docs import validate

    good = manifest(lessons=[SEQUENCE])
    validate(good)
    parse_manifest(json.dumps(good).encode())
    bad = manifest(lessons=[{**SEQUENCE, "steps": [step]}])
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)
    with pytest.raises(PackError):
        parse_manifest(json.dumps(bad).encode())
