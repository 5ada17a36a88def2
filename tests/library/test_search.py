"""Catalogue search: French with or without accents, prefixes, filters, ranking, pagination."""

from __future__ import annotations

import pytest

from classbox.library import catalogue, import_path
from tests.library.conftest import manifest, write_folder

RESOURCES = [
    {"path": "a.txt", "title": "L'élève et la forêt", "subject": "francais", "level": "cycle2", "kind": "text"},
    {"path": "b.txt", "title": "Les fractions", "description": "Partager une pizza en parts égales",
     "subject": "mathematiques", "level": "cycle3", "kind": "text"},
    {"path": "c.txt", "title": "Histoire de la pizza", "subject": "histoire-geographie", "level": "cycle3",
     "kind": "text"},
    {"path": "d.txt", "title": "Évaporation de l'eau", "subject": "sciences", "level": "cycle3", "kind": "text",
     "tags": ["météo"]},
    {"path": "e.txt", "title": "Élevage des escargots", "subject": "sciences", "level": "cycle2", "kind": "text"},
]


@pytest.fixture
def search_client(app, lib_config, tmp_path):
    files = {r["path"]: r["title"].encode() for r in RESOURCES}
    for i in range(25):
        files[f"n{i:02}.txt"] = b"x"
    resources = RESOURCES + [{"path": f"n{i:02}.txt", "title": f"Nombre {i:02}", "subject": "mathematiques",
                              "level": "cycle2", "kind": "other"} for i in range(25)]
    import_path(lib_config, write_folder(tmp_path / "pack", manifest(resources=resources), files))
    return app.test_client()


def titles(client, query: str) -> list[str]:
    response = client.get(f"/api/library?{query}")
    assert response.status_code == 200
    return [item["title"] for item in response.get_json()["items"]]


@pytest.mark.parametrize("q", ["eleve", "élève", "ELEVE", "Élève"])
def test_accents_and_case_do_not_matter(search_client, q):
    assert titles(search_client, f"q={q}") == ["L'élève et la forêt"]


def test_prefixes_match(search_client):
    assert set(titles(search_client, "q=evap")) == {"Évaporation de l'eau"}
    assert set(titles(search_client, "q=elev")) == {"L'élève et la forêt", "Élevage des escargots"}


def test_tags_and_subject_names_are_searchable(search_client):
    assert titles(search_client, "q=meteo") == ["Évaporation de l'eau"]
    assert "Les fractions" in titles(search_client, "q=mathématiques&per_page=100")


def test_title_matches_rank_above_description_matches(search_client):
    assert titles(search_client, "q=pizza") == ["Histoire de la pizza", "Les fractions"]


def test_filters(search_client):
    assert titles(search_client, "q=pizza&subject=mathematiques") == ["Les fractions"]
    assert set(titles(search_client, "q=elev&level=cycle2")) == {"L'élève et la forêt", "Élevage des escargots"}
    assert titles(search_client, "q=elev&level=cycle3") == []
    assert len(titles(search_client, "kind=text&per_page=100")) == 5


def test_pagination(search_client):
    first = search_client.get("/api/library?subject=mathematiques&level=cycle2&per_page=10").get_json()
    assert len(first["items"]) == 10 and first["has_more"]
    second = search_client.get(first["next"]).get_json()
    third = search_client.get(second["next"]).get_json()
    assert len(third["items"]) == 5 and not third["has_more"] and "next" not in third
    seen = [i["title"] for page in (first, second, third) for i in page["items"]]
    assert seen == [f"Nombre {i:02}" for i in range(25)]


@pytest.mark.parametrize("q", ['"', "*", "NEAR(", "a OR", "-", "title:x", "')--", "\x00"])
def test_fts_syntax_in_queries_is_harmless(search_client, q):
    response = search_client.get("/api/library", query_string={"q": q})
    assert response.status_code == 200


@pytest.mark.parametrize("query", ["page=abc", "per_page=x", "kind=hologram", "level=cm9"])
def test_bad_parameters_are_400_json(search_client, query):
    response = search_client.get(f"/api/library?{query}")
    assert response.status_code == 400 and response.is_json


def test_an_index_made_before_it_was_keyed_by_seq_is_rebuilt_on_upgrade(lib_config):
    """A catalogue from a version whose index carried a `rid` column (m002) is still searchable after
    the upgrade, a resource without seq (or sharing one) gets its own, and removing its pack empties
    its index entries."""
    from classbox.library.packs import remove_pack
    from classbox.features import migration_sets
    from classbox.storage import migrate, open_database
    from classbox.web.datadir import prepare_data_dir

    lib_config.data_dir.mkdir(parents=True)
    db = open_database(lib_config.data_dir)
    for migrations in migration_sets():
        migrations.apply(db, stop_before="m003_fts_rowid_is_seq" if migrations.name == "classbox.library" else None)
    db.execute("INSERT INTO pack (id, version, title, seq) VALUES ('vieux', '1', 'Vieux pack', 1)")
    for rid, title, seq in (("vieux-1", "Le cycle de l'eau", 2), ("vieux-2", "Les volcans d'Auvergne", None),
                            ("vieux-3", "La forêt en hiver", 2)):
        db.execute("INSERT INTO resource (id, pack, path, title, kind, mime, subject, level, seq) "
                   "VALUES (?, 'vieux', ?, ?, 'text', 'text/plain', 'sciences', 'cycle3', ?)", [rid, rid, title, seq])
        db.execute("INSERT INTO resource_fts (rid, title, description, tags, subject, facets) "
                   "VALUES (?, ?, '', '', 'Sciences', 'subjsciences lvlcycle3 kindtext langfr')", [rid, title])
    db.conn.commit()

    assert migrate(db, migration_sets())[:1] == ["classbox.library:m003_fts_rowid_is_seq"]  # then later ones
    db.conn.close()
    db = prepare_data_dir(lib_config)
    assert [r["id"] for r in catalogue.search(db, "volcan").items] == ["vieux-2"]
    assert [r["id"] for r in catalogue.search(db, "eau", level="cycle3").items] == ["vieux-1"]
    assert [r["id"] for r in catalogue.search(db, "foret").items] == ["vieux-3"]
    seqs = [row[0] for row in db.execute("SELECT seq FROM resource ORDER BY id")]
    assert None not in seqs and len(set(seqs)) == 3 and seqs[0] == 2, "missing or shared seqs renumbered"
    db.conn.close()

    remove_pack(lib_config, "vieux")
    db = open_database(lib_config.data_dir)
    assert db.execute("SELECT count(*) FROM resource_fts").fetchone()[0] == 0
    db.conn.close()


def test_the_search_benchmark_runs_against_the_current_schema():
    """benchmarks/library_search.py queries the index directly for its baseline: a schema change must
    not leave it broken (small catalogue; the figures themselves are not checked here)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "library_search.py"
    done = subprocess.run([sys.executable, str(script), "--resources", "200", "--queries", "10"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [line.split("|")[1].strip() for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows[1:] == ["bare FTS5 MATCH (baseline)", "catalogue.search", "GET /api/library"]
