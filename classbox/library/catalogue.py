"""The catalogue: resources and packs in SQLite, searched in French with FTS5."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

import sqlite_utils

from classbox.web.i18n_marks import N_

# Labels are French (the search index holds the subject's); pages show them through gettext.
KINDS = ["video", "audio", "pdf", "image", "html", "epub", "zim", "h5p", "text", "other"]
IMPORTED_ONLY_KINDS = ("zim", "h5p")  # made by their importers, never declared in a pack manifest
LEVELS = {
    "cycle1": N_("Cycle 1 (maternelle)"),
    "cycle2": N_("Cycle 2 (CP, CE1, CE2)"),
    "cycle3": N_("Cycle 3 (CM1, CM2, 6e)"),
    "cycle4": N_("Cycle 4 (5e, 4e, 3e)"),
    "lycee": N_("Lycée"),
}
SUBJECTS = {
    "francais": N_("Français"), "mathematiques": N_("Mathématiques"), "sciences": N_("Sciences"),
    "histoire-geographie": N_("Histoire-géographie"), "emc": N_("Enseignement moral et civique"),
    "langues": N_("Langues vivantes"), "arts": N_("Arts plastiques"), "musique": N_("Éducation musicale"),
    "eps": N_("Éducation physique"), "technologie": N_("Technologie"), "informatique": N_("Informatique"),
    "philosophie": N_("Philosophie"), "encyclopedie": N_("Encyclopédies"), "autre": N_("Autre"),
}
KIND_LABELS = {
    "video": N_("Vidéo"), "audio": N_("Audio"), "pdf": N_("PDF"), "image": N_("Image"), "html": N_("Leçon"),
    "epub": N_("Livre numérique"), "zim": N_("Encyclopédie"), "text": N_("Texte"), "other": N_("Fichier"),
    "h5p": N_("Exercice interactif (H5P)"),
}
RESOURCE_FIELDS = ["id", "pack", "path", "title", "description", "kind", "mime", "subject", "level",
                   "language", "license", "attribution", "size", "sha256", "tags", "added_at", "seq"]
WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 8
# Ranking scores every candidate; a query matching more than this many resources is ranked among
# the newest RANK_CANDIDATES matches only, so that one common word cannot make a search slow.
RANK_CANDIDATES = 2000


def subject_label(slug: str) -> str:
    """The French label of a subject slug."""
    return SUBJECTS.get(slug, slug.replace("-", " ").capitalize() if slug else N_("Sans matière"))


def level_label(slug: str) -> str:
    """The French label of a level slug."""
    return LEVELS.get(slug, N_("Tous niveaux"))


def fts_query(text: str) -> str:
    """A safe FTS5 query: every word required, words of 3+ letters also as prefixes."""
    words = [w for w in WORD_RE.findall((text or "").replace("_", " "))[:MAX_QUERY_WORDS]]
    return " ".join(f'"{w}"*' if len(w) >= 3 else f'"{w}"' for w in words)


def _token(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def facet_tokens(subject: str, level: str, kind: str, language: str) -> str:
    """The facets of a resource as index tokens (filters become part of the FTS match)."""
    return " ".join(f"{prefix}{_token(value)}" for prefix, value in
                    (("subj", subject), ("lvl", level), ("kind", kind), ("lang", language)) if value)


def index_resource(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    """Insert a resource and its full-text entry, keyed by the resource's `seq` (inside the
    caller's transaction)."""
    if not isinstance(row.get("seq"), int):
        raise ValueError(f"resource {row.get('id')!r} has no seq to key its index entry")
    db.execute(
        f"INSERT INTO resource ({', '.join(RESOURCE_FIELDS)}) VALUES ({', '.join('?' for _ in RESOURCE_FIELDS)})",
        [row.get(k) for k in RESOURCE_FIELDS],
    )
    db.execute(
        "INSERT INTO resource_fts (rowid, title, description, tags, subject, facets) VALUES (?, ?, ?, ?, ?, ?)",
        [row["seq"], row["title"], row.get("description", ""), row.get("tags", ""),
         subject_label(row.get("subject", "")),
         facet_tokens(row.get("subject", ""), row.get("level", ""), row.get("kind", ""), row.get("language", ""))],
    )


def delete_pack_rows(db: sqlite_utils.Database, pack_id: str) -> list[str]:
    """Delete a pack, its resources and their index entries; return the blobs they used."""
    shas = [r[0] for r in db.execute("SELECT sha256 FROM resource WHERE pack = ? AND sha256 IS NOT NULL",
                                      [pack_id])]
    db.execute("DELETE FROM resource_fts WHERE rowid IN (SELECT seq FROM resource WHERE pack = ?)", [pack_id])
    shas += [r[0] for r in db.execute("SELECT sha256 FROM h5p_file WHERE owner = ?", [f"content:{pack_id}"])]
    db.execute("DELETE FROM h5p_file WHERE owner = ?", [f"content:{pack_id}"])
    db.execute("DELETE FROM h5p_content WHERE pack = ?", [pack_id])
    db.execute("DELETE FROM zim_book WHERE pack = ?", [pack_id])
    db.execute("DELETE FROM resource WHERE pack = ?", [pack_id])
    db.execute("DELETE FROM pack WHERE id = ?", [pack_id])
    return shas


def unreferenced(db: sqlite_utils.Database, shas: Iterable[str]) -> list[str]:
    """Those blobs no resource, H5P library or H5P content uses any more."""
    return [sha for sha in set(shas)
            if db.execute("SELECT 1 FROM resource WHERE sha256 = ? UNION ALL "
                          "SELECT 1 FROM h5p_file WHERE sha256 = ? LIMIT 1", [sha, sha]).fetchone() is None]


@dataclass
class SearchResult:
    """One page of resources."""

    items: list[dict]
    page: int
    per_page: int
    has_more: bool


def search(db: sqlite_utils.Database, q: str = "", subject: str = "", level: str = "", kind: str = "",
           language: str = "", page: int = 1, per_page: int = 20) -> SearchResult:
    """Resources matching a French query (accents folded, prefixes) and filters, best first."""
    page = max(1, page)
    per_page = max(1, min(per_page, 100))
    filters = {"subject": subject, "level": level, "kind": kind, "language": language}
    match = fts_query(q)
    columns = ", ".join(f"r.{k}" for k in RESOURCE_FIELDS)
    if match:
        prefixes = {"subject": "subj", "level": "lvl", "kind": "kind", "language": "lang"}
        facets = " ".join(f'"{prefixes[k]}{_token(v)}"' for k, v in filters.items() if v)
        full = "{title description tags subject} : (" + match + ")" + (f" AND facets : ({facets})" if facets else "")
        sql = (f"SELECT {columns} FROM (SELECT seq, rank FROM (SELECT rowid AS seq, rank FROM resource_fts "
               f"WHERE resource_fts MATCH ? ORDER BY rowid DESC LIMIT {RANK_CANDIDATES}) "
               "ORDER BY rank LIMIT ? OFFSET ?) f JOIN resource r ON r.seq = f.seq ORDER BY f.rank, r.title")
        params = [full]
    elif q.strip():
        return SearchResult([], page, per_page, False)
    else:
        where = [f"r.{k} = ?" for k, v in filters.items() if v]
        params = [v for v in filters.values() if v]
        sql = (f"SELECT {columns} FROM resource r {'WHERE ' + ' AND '.join(where) if where else ''} "
               "ORDER BY r.title COLLATE NOCASE LIMIT ? OFFSET ?")
    rows = db.execute(sql, [*params, per_page + 1, (page - 1) * per_page]).fetchall()
    items = [dict(zip(RESOURCE_FIELDS, row)) for row in rows[:per_page]]
    return SearchResult(items, page, per_page, len(rows) > per_page)


def get_resource(db: sqlite_utils.Database, resource_id: str) -> dict | None:
    """One resource by id."""
    row = db.execute(f"SELECT {', '.join(RESOURCE_FIELDS)} FROM resource WHERE id = ?", [resource_id]).fetchone()
    return dict(zip(RESOURCE_FIELDS, row)) if row else None


def resource_by_path(db: sqlite_utils.Database, pack: str, path: str) -> dict | None:
    """One resource by its pack and path inside the pack."""
    row = db.execute(f"SELECT {', '.join(RESOURCE_FIELDS)} FROM resource WHERE pack = ? AND path = ?",
                     [pack, path]).fetchone()
    return dict(zip(RESOURCE_FIELDS, row)) if row else None


def blob_info(db: sqlite_utils.Database, sha: str) -> dict | None:
    """The mime type and original filename of a blob (from any resource that uses it)."""
    row = db.execute("SELECT mime, path FROM resource WHERE sha256 = ? LIMIT 1", [sha]).fetchone()
    return {"mime": row[0], "filename": row[1].rsplit("/", 1)[-1]} if row else None


def list_packs(db: sqlite_utils.Database) -> list[dict]:
    """Every pack and book, with its resource count and size."""
    rows = db.execute(
        "SELECT p.id, p.version, p.title, p.kind, p.source, count(r.id), coalesce(sum(r.size), 0) "
        "FROM pack p LEFT JOIN resource r ON r.pack = p.id GROUP BY p.id ORDER BY p.id").fetchall()
    keys = ["id", "version", "title", "kind", "source", "resources", "size"]
    return [dict(zip(keys, row)) for row in rows]


def facets(db: sqlite_utils.Database) -> dict[str, list[tuple[str, str, int]]]:
    """Subjects and levels present in the catalogue: (slug, label, count)."""
    subjects = [(s, subject_label(s), n) for s, n in
                db.execute("SELECT subject, count(*) FROM resource GROUP BY subject ORDER BY subject")]
    levels = [(lv, level_label(lv), n) for lv, n in
              db.execute("SELECT level, count(*) FROM resource WHERE level != '' GROUP BY level ORDER BY level")]
    kinds = [(k, KIND_LABELS.get(k, k), n) for k, n in
             db.execute("SELECT kind, count(*) FROM resource GROUP BY kind ORDER BY kind")]
    return {"subjects": subjects, "levels": levels, "kinds": kinds}


def by_subject(db: sqlite_utils.Database, level: str = "", per_subject: int = 12) -> list[dict]:
    """The library home: for each subject, its label, count and first resources."""
    sections = []
    for slug, label, _count in facets(db)["subjects"]:
        result = search(db, subject=slug, level=level, per_page=per_subject)
        if result.items:
            sections.append({"slug": slug, "label": label, "items": result.items,
                             "has_more": result.has_more})
    return sections
