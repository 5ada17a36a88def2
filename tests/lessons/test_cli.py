"""`classbox lesson import|export|list` on a real data dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classbox.auth.users import add_user
from classbox.cli import cli
from classbox.storage import open_database

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "data"
    run = invoke(path, "init")
    assert run.exit_code == 0, run.output
    db = open_database(path)
    add_user(db, "mme.martin", "teacher", "correct-horse-1")
    db.conn.close()
    return path


def invoke(data_dir, *args):
    from click.testing import CliRunner

    return CliRunner().invoke(cli, ["--config", "/dev/null", "--data-dir", str(data_dir), *args])


def count(data_dir) -> int:
    db = open_database(data_dir)
    try:
        return db.execute("SELECT COUNT(*) FROM lessons").fetchone()[0]
    finally:
        db.conn.close()


def test_import_gift_lists_lessons_and_reports_skipped_lines(data_dir):
    result = invoke(data_dir, "lesson", "import", str(FIXTURES / "moodle-export.gift"), "--owner", "mme.martin")
    assert result.exit_code == 0, result.output
    assert "lesson 1: Défaut pour 5e A / Fractions (7 steps)" in result.output
    assert "skipped line 47 ::Appariement::: matching questions are not supported" in result.output
    listed = invoke(data_dir, "lesson", "list").output
    assert "1\t7 steps\tmme.martin\tDéfaut pour 5e A / Fractions" in listed
    assert "2\t3 steps\tmme.martin\tDéfaut pour 5e A / Décimaux" in listed


def test_owner_defaults_to_the_only_teacher_and_must_exist(data_dir):
    assert invoke(data_dir, "lesson", "import", str(FIXTURES / "elea-windows.gift")).exit_code == 0
    unknown = invoke(data_dir, "lesson", "import", str(FIXTURES / "elea-windows.gift"), "--owner", "nobody")
    assert unknown.exit_code == 1 and "no account 'nobody'" in unknown.output


def test_export_gift_and_json_read_back_identically(data_dir, tmp_path):
    invoke(data_dir, "lesson", "import", str(FIXTURES / "moodle-docs.gift"))
    gift = invoke(data_dir, "lesson", "export", "1", "--format", "gift")
    assert gift.exit_code == 0 and "$CATEGORY: $course$/top/moodle-docs" in gift.output
    (tmp_path / "again.gift").write_text(gift.output, encoding="utf-8")
    as_json = json.loads(invoke(data_dir, "lesson", "export", "1").output)
    (tmp_path / "again.json").write_text(json.dumps(as_json), encoding="utf-8")
    assert invoke(data_dir, "lesson", "import", str(tmp_path / "again.gift")).exit_code == 0
    assert invoke(data_dir, "lesson", "import", str(tmp_path / "again.json")).exit_code == 0
    first, second, third = (json.loads(invoke(data_dir, "lesson", "export", str(i)).output) for i in (1, 3, 4))
    assert first["lessons"][0]["steps"] == second["lessons"][0]["steps"] == third["lessons"][0]["steps"]


def test_a_broken_file_imports_nothing_and_names_the_line(data_dir, tmp_path):
    bad = tmp_path / "bad.gift"
    bad.write_text("$CATEGORY: A\n\nQ1 {=a ~b}\n\n$CATEGORY: B\n\nQ2 {#5..1}\n", encoding="utf-8")
    result = invoke(data_dir, "lesson", "import", str(bad))
    assert result.exit_code == 1
    assert "line 7: reversed range 5..1" in result.output and "nothing imported" in result.output
    assert count(data_dir) == 0


def test_export_of_a_missing_lesson(data_dir):
    result = invoke(data_dir, "lesson", "export", "42")
    assert result.exit_code == 1 and "no lesson 42" in result.output


def test_docs_mention_every_lesson_command():
    docs = (Path(__file__).resolve().parents[2] / "docs/lessons.md").read_text(encoding="utf-8")
    for command in cli.commands["lesson"].commands:
        assert f"classbox lesson {command}" in docs


@pytest.mark.parametrize("text, steps", [
    ("[markdown]Un **mot** ?{=oui}\n", 1),  # GIFT starting with a format, not a JSON array
    ('{"format": "classbox-lesson/1", "lessons": [{"title": "J", "steps": [{"type": "pause"}]}]}', 1),
    ('\ufeff{"format": "classbox-lesson/1",\n"lessons": [{"title": "J", "steps": []}]}', 0),
])
def test_gift_or_json_is_told_by_content(data_dir, tmp_path, text, steps):
    path = tmp_path / "lesson.txt"
    path.write_text(text, encoding="utf-8")
    result = invoke(data_dir, "lesson", "import", str(path))
    assert result.exit_code == 0, result.output
    assert f"({steps} steps)" in result.output
