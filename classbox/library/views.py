"""Library pages and endpoints: /library, /api/library, /library/<id>, /blobs/<sha256>, /zim/."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext

from classbox.library import catalogue, h5porigin
from classbox.library.serving import send_blob
from classbox.library.store import BlobStore, valid_sha
from classbox.web.query import int_arg
from classbox.storage import get_db

bp = Blueprint("library", __name__)
TEXT_PREVIEW_BYTES = 200_000
MAX_PAGE = 100_000  # far past any catalogue; keeps OFFSET within SQLite's integers
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; frame-src 'self'; object-src 'self'; "
            "style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def store() -> BlobStore:
    """The blob store of the app's data dir."""
    cfg = current_app.config["CLASSBOX"]
    return BlobStore(cfg.data_dir, cfg["library"]["extra_roots"])


def _filters() -> dict:
    args = request.args
    kind, level = args.get("kind", ""), args.get("level", "")
    if kind and kind not in catalogue.KINDS:
        abort(400, "unknown kind")
    if level and level not in catalogue.LEVELS:
        abort(400, "unknown level")
    return {"q": args.get("q", "")[:200], "subject": args.get("subject", "")[:40], "level": level,
            "kind": kind, "language": args.get("language", "")[:20]}


def _label(text: str) -> str:
    """gettext, remembered for the rest of the request (a page of results repeats its labels)."""
    labels = g.setdefault("classbox_labels", {})
    if text not in labels:
        labels[text] = gettext(text)
    return labels[text]


def kind_label(kind: str) -> str:
    """A resource kind as shown in the page's language."""
    return _label(catalogue.KIND_LABELS.get(kind, kind))


def subject_label(slug: str) -> str:
    """A subject as shown in the page's language (a pack's own subject stays as written)."""
    return _label(catalogue.subject_label(slug))


def level_label(slug: str) -> str:
    """A school level as shown in the page's language."""
    return _label(catalogue.level_label(slug))


def shown_facets(facets: dict[str, list[tuple[str, str, int]]]) -> dict[str, list[tuple[str, str, int]]]:
    """The catalogue's facets with their labels in the page's language."""
    return {name: [(slug, gettext(label), count) for slug, label, count in rows] for name, rows in facets.items()}


def public(row: dict) -> dict:
    """The JSON form of a resource for pupils' browsers."""
    return {"id": row["id"], "title": row["title"], "description": row["description"], "kind": row["kind"],
            "kind_label": kind_label(row["kind"]), "mime": row["mime"],
            "subject": row["subject"], "subject_label": subject_label(row["subject"]),
            "level": row["level"], "level_label": level_label(row["level"]),
            "language": row["language"], "size": row["size"], "sha256": row["sha256"],
            "url": url_for("library.resource", resource_id=row["id"]),
            "blob_url": url_for("library.blob", name=row["sha256"]) if row["sha256"] else None}


@bp.after_request
def _page_headers(response):
    if response.mimetype == "text/html" and request.endpoint in ("library.home", "library.resource"):
        response.headers.setdefault("Content-Security-Policy", h5porigin.with_player_frames(PAGE_CSP))
    return response


@bp.route("/library")
def home():
    """Library home: by subject and level, with a search box (server-rendered results too)."""
    filters = _filters()
    db = get_db()
    page = int_arg("page", 1, 1, MAX_PAGE)
    result = None
    if filters["q"] or filters["subject"] or filters["kind"]:
        result = catalogue.search(db, page=page, per_page=30, **filters)
    sections = [] if result else catalogue.by_subject(db, level=filters["level"])
    for section in sections:
        section["label"] = subject_label(section["slug"])
    kinds = {slug: gettext(label) for slug, label in catalogue.KIND_LABELS.items()}
    return render_template("library/home.html", filters=filters, result=result, sections=sections,
                           facets=shown_facets(catalogue.facets(db)),
                           levels={slug: gettext(label) for slug, label in catalogue.LEVELS.items()},
                           kinds=kinds, subject_label=subject_label, level_label=level_label, kind_labels=kinds)


@bp.route("/api/library")
def api_search():
    """Search the catalogue: ?q=&subject=&level=&kind=&language=&page=&per_page= (JSON)."""
    filters = _filters()
    page, per_page = int_arg("page", 1, 1, MAX_PAGE), int_arg("per_page", 20, 1, 100)
    result = catalogue.search(get_db(), page=page, per_page=per_page, **filters)
    body = {"items": [public(r) for r in result.items], "page": result.page, "per_page": result.per_page,
            "has_more": result.has_more}
    if result.has_more:
        body["next"] = url_for("library.api_search", **{k: v for k, v in filters.items() if v},
                               page=result.page + 1, per_page=result.per_page)
    return jsonify(body)


@bp.route("/library/<resource_id>")
def resource(resource_id: str):
    """A resource's page, with the viewer that suits its kind."""
    row = catalogue.get_resource(get_db(), resource_id)
    if row is None:
        abort(404)
    context = {"r": public(row), "row": row}
    if row["kind"] == "text" and row["sha256"]:
        path = store().find(row["sha256"])
        if path is not None:
            with open(path, "rb") as handle:
                context["text"] = handle.read(TEXT_PREVIEW_BYTES).decode("utf-8", "replace")
    if row["kind"] == "html":
        context["frame_url"] = url_for("library.pack_file", pack=row["pack"], path=row["path"])
    if row["kind"] == "zim":
        from classbox.library.zimviews import book_context

        context.update(book_context(row["path"], request.args.get("q", "")[:200]))
    return render_template("library/resource.html", **context)


@bp.route("/library/files/<pack>/<path:path>", methods=["GET", "HEAD"])
def pack_file(pack: str, path: str):
    """A pack's file by its path in the pack (relative links between a lesson's files work)."""
    row = catalogue.resource_by_path(get_db(), pack, path)
    if row is None or not row["sha256"]:
        abort(404)
    return _send(row["sha256"], row["mime"], row["path"].rsplit("/", 1)[-1])


@bp.route("/blobs/<name>", methods=["GET", "HEAD"])
def blob(name: str):
    """A blob by its sha256 (Range, ETag, immutable caching; X-Accel-Redirect behind nginx)."""
    if not valid_sha(name):
        abort(404)
    info = catalogue.blob_info(get_db(), name) or {"mime": "application/octet-stream", "filename": name}
    return _send(name, info["mime"], info["filename"])


def _send(sha: str, mime: str, filename: str):
    st = store()
    path = st.find(sha)
    if path is None:
        abort(404)
    return send_blob(path, sha, mime, filename, accel_root=st.root)
