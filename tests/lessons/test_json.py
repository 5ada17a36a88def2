"""classbox-lesson/1: the JSON Schema, the importer and the docs say the same thing."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from classbox.lessons.gift import parse_gift
from classbox.lessons.lessonjson import FORMAT, export_json, parse_json, parse_lessons_doc
from classbox.lessons.steps import LessonError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "classbox/lessons/classbox-lesson.schema.json").read_text(encoding="utf-8"))
EXAMPLE = ROOT / "examples/lessons/fractions-5e.json"
FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.gift"))


def doc(*steps, title="Leçon"):
    return {"format": FORMAT, "lessons": [{"title": title, "steps": list(steps)}]}


def test_the_example_matches_the_schema_and_imports():
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    [lesson] = parse_json(EXAMPLE.read_bytes())
    assert len(lesson.steps) == 10 and lesson.steps[7] == {**data["lessons"][0]["steps"][7], "min": 0.25, "max": 0.75}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_export_of_every_gift_question_matches_the_schema_and_reads_back(path):
    lessons = [{"title": lesson.title, "steps": lesson.steps} for lesson in parse_gift(path.read_bytes()).lessons]
    exported = export_json(lessons)
    jsonschema.validate(exported, SCHEMA)
    again = parse_json(json.dumps(exported).encode())
    assert [{"title": lesson.title, "steps": lesson.steps} for lesson in again] == lessons


@pytest.mark.parametrize("bad, field", [
    ({"format": "classbox-lesson/2", "lessons": []}, "format"),
    ({"format": FORMAT, "lessons": []}, "lessons"),
    ({"format": FORMAT, "lessons": [{"title": " ", "steps": []}]}, "lessons[0].title"),
    ({"format": FORMAT, "lessons": [{"title": "t", "steps": [], "owner": "x"}]}, "lessons[0].owner"),
    (doc({"type": "video"}), "lessons[0].steps[0].type"),
    (doc({"type": "message", "text": "x", "extra": 1}), "lessons[0].steps[0].extra"),
    (doc({"type": "quiz", "kind": "single", "question": "q", "choices": ["a"]}), "lessons[0].steps[0]"),
    (doc({"type": "quiz", "kind": "number", "question": "q", "correct": 1, "min": 0, "max": 2}),
     "lessons[0].steps[0].min"),
    (doc({"type": "resource", "title": "x", "url": "//evil.example/x"}), "lessons[0].steps[0]"),
    (doc({"type": "quiz", "kind": "multiple", "question": "q", "choices": ["a", "b"], "weights": [200, 0]}),
     "lessons[0].steps[0].weights"),
    (doc({"type": "handin", "instructions": "x", "accept": ["video"]}), "lessons[0].steps[0]"),
])
def test_schema_and_importer_refuse_the_same_documents(bad, field):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)
    with pytest.raises(LessonError) as err:
        parse_lessons_doc(bad)
    assert err.value.field == field and field in str(err.value)


def test_a_reversed_range_names_the_field():  # beyond JSON Schema: min <= max is the importer's check
    with pytest.raises(LessonError, match=r"lessons\[0\].steps\[0\].min: reversed range 2..1"):
        parse_lessons_doc(doc({"type": "quiz", "kind": "number", "question": "q", "min": 2, "max": 1}))


@pytest.mark.parametrize("data, message", [
    (b'{"format": "classbox-lesson/1",\n "lessons": [}', "line 2: not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_broken_files_get_a_clear_error(data, message):
    with pytest.raises(LessonError, match=message):
        parse_json(data)


def test_docs_describe_the_format_the_commands_and_gift():
    text = (ROOT / "docs/lessons.md").read_text(encoding="utf-8")
    for needle in (FORMAT, "classbox-lesson.schema.json", "classbox lesson import", "classbox lesson export",
                   "classbox lesson list", "$CATEGORY", "GET /api/lessons", "POST /api/lessons", "tolerance",
                   "examples/lessons/fractions-5e.json"):
        assert needle in text, needle
    protocol = (ROOT / "docs/protocol.md").read_text(encoding="utf-8")
    for needle in ("GET /api/lessons", "POST /api/lessons", "/api/lessons/<id>/export?format=gift|json"):
        assert needle in protocol, needle
