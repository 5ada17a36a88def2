"""The pack format is documented: JSON Schema, docs/packs.md, the example pack, the nginx block."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource

from classbox.demo import DEMO_PACK
from classbox.library import PackError, import_path
from classbox.library.manifest import parse_manifest
from tests.library.conftest import manifest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "classbox/library/classbox-pack.schema.json").read_text(encoding="utf-8"))
# The pack schema's lessons refer to the lesson schema's steps.
LESSON_SCHEMA = json.loads((ROOT / "classbox/lessons/classbox-lesson.schema.json").read_text(encoding="utf-8"))
REGISTRY = Registry().with_resource(LESSON_SCHEMA["$id"], Resource.from_contents(LESSON_SCHEMA))


def validate(data) -> None:
    """Check a manifest against the pack schema (and the lesson schema it refers to)."""
    jsonschema.Draft202012Validator(SCHEMA, registry=REGISTRY).validate(data)
EXAMPLE = ROOT / "examples/packs/fractions-cycle3"


@pytest.mark.parametrize("folder", [EXAMPLE, DEMO_PACK], ids=["example", "demo"])
def test_shipped_manifests_match_the_schema(folder):
    data = json.loads((folder / "classbox-pack.json").read_text(encoding="utf-8"))
    validate(data)
    parse_manifest((folder / "classbox-pack.json").read_bytes())


@pytest.mark.parametrize("bad", [
    manifest(format="classbox-pack/2"), manifest(id="Pas Bon"),
    manifest(resources=[{"path": "../x", "title": "x"}]), manifest(resources=[{"path": "/x", "title": "x"}]),
    manifest(resources=[{"path": "C:/x", "title": "x"}]), manifest(resources=[{"path": "a\\b", "title": "x"}]),
    manifest(resources=[{"path": "x", "title": "x", "level": "cm9"}]), manifest(resources=[]),
])
def test_schema_and_importer_refuse_the_same_manifests(bad):
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)
    with pytest.raises(PackError):
        parse_manifest(json.dumps(bad).encode())


def test_example_pack_imports_and_its_lesson_finds_its_image(app, lib_config):
    assert import_path(lib_config, EXAMPLE).resources == 3
    client = app.test_client()
    image = client.get("/library/files/exemple-fractions-c3/pizza-3-4.svg", buffered=True)
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"


def test_docs_cover_the_format_the_commands_and_nginx():
    text = (ROOT / "docs/packs.md").read_text(encoding="utf-8")
    for needle in ("classbox-pack/1", "classbox-pack.json", "classbox library import", "classbox library list",
                   "classbox library remove", "classbox library verify", "min_free_mb", "classbox-pack.schema.json"):
        assert needle in text
    nginx = (ROOT / "docs/library-nginx.md").read_text(encoding="utf-8")
    assert "location /_blobs/" in nginx and "internal;" in nginx
