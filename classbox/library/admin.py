"""The library's panel on /admin: upload a pack, the library's size, check the blobs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from flask import Blueprint, Flask, Response, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, same_origin, validate_csrf
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from wtforms import ValidationError

from classbox.web.admin_panels import AdminPanel, register_panel
from classbox.auth import login_required
from classbox.config import Config
from classbox.web.errors import wants_json
from classbox.extensions import csrf
from classbox.web.i18n_marks import N_
from classbox.library import catalogue
from classbox.library.manifest import PackError
from classbox.runtime.offload import off_loop
from classbox.library.staging import MB, import_lock, staging
from classbox.library.upload import DiskSink, UploadRefused, no_room, receive_body, too_large, upload_name
from classbox.library.store import BlobStore
from classbox.storage import get_db
from classbox.storage.core import get_state, set_state

bp = Blueprint("library_admin", __name__)
VERIFY_KEY = "library_verify"


def panel_context() -> dict:
    """Packs, sizes and the last verification, for the admin panel."""
    cfg = current_app.config["CLASSBOX"]
    db = get_db()
    zim_dir = cfg.data_dir / "zim"
    zim_bytes = sum(p.stat().st_size for p in zim_dir.glob("*.zim")) if zim_dir.is_dir() else 0
    return {"packs": catalogue.list_packs(db), "blob_bytes": BlobStore(cfg.data_dir).total_size(),
            "zim_bytes": zim_bytes, "verify": get_state(db, VERIFY_KEY),
            "max_pack_mb": cfg["library"]["max_pack_mb"]}


@bp.route("/admin/library/upload", methods=["POST"])
@login_required("admin")
def upload() -> Response:
    """Import a pack (.zip) or ZIM file streamed to the data dir (the page's script or the plain form)."""
    from classbox.library import import_locked

    cfg = current_app.config["CLASSBOX"]
    check_csrf()
    try:
        name, result = receive(cfg, import_locked)
    except PackError as err:
        return answer(False, _("Import refusé, la bibliothèque n'a pas changé : %(error)s", error=err.shown_in(_)),
                      getattr(err, "status", 422))
    outcome = {"added": _("ajouté"), "updated": _("mis à jour"), "unchanged": _("déjà présent")}[result.status]
    return answer(True, _("Import de %(pack)s (version %(version)s) : %(outcome)s, %(count)s ressource(s).",
                          pack=result.pack, version=result.version, outcome=outcome, count=result.resources))


def check_csrf() -> None:
    """CSRFError unless the token came in the X-CSRFToken header or the query: the body is not read."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.args.get("csrf_token"))
    except ValidationError as err:
        raise CSRFError(err.args[0]) from None
    if request.is_secure and current_app.config.get("WTF_CSRF_SSL_STRICT", True):
        if not request.referrer or not same_origin(request.referrer, f"https://{request.host}/"):
            raise CSRFError("The referrer does not match the host.")


def receive(cfg: Config, import_locked: Callable) -> tuple[str, Any]:
    """Stream the upload into a staging folder under the import lock, then import it off the loop."""
    length = request.content_length
    if length is not None and length > cfg["library"]["max_pack_mb"] * MB:
        raise too_large(cfg)
    with import_lock(cfg), staging(cfg) as folder:
        no_room(cfg, length or 0)
        try:
            if request.mimetype == "multipart/form-data":
                name, path = receive_form(cfg, folder)
            else:
                name = upload_name(request.args.get("name"))
                path = folder / f"upload{Path(name).suffix.lower()}"
                sink = DiskSink(cfg, path)
                try:
                    receive_body(request.stream.read, sink, length)
                finally:
                    sink.close()
        except RequestEntityTooLarge:
            raise too_large(cfg) from None
        except ClientDisconnected:
            raise UploadRefused("upload cut by the client", N_("l'envoi a été interrompu avant la fin du fichier")) from None
        return name, off_loop(import_locked, cfg, path, f"upload:{name}")


def receive_form(cfg: Config, folder: Path) -> tuple[str, Path]:
    """The plain form's multipart body: its one file written to `folder` as it is parsed."""
    sinks: list[tuple[str, DiskSink]] = []

    def to_disk(total_content_length, content_type, filename, content_length=None) -> DiskSink:
        if sinks:
            raise UploadRefused("one file at a time", N_("un seul fichier à la fois"))
        name = upload_name(filename)
        sinks.append((name, DiskSink(cfg, folder / f"upload{Path(name).suffix.lower()}")))
        return sinks[-1][1]

    parser = FormDataParser(to_disk, max_form_memory_size=64 * 1024, max_form_parts=8,
                            max_content_length=cfg["library"]["max_pack_mb"] * MB, silent=False)
    try:
        parser.parse(request.stream, request.mimetype, request.content_length, request.mimetype_params)
    finally:
        for _name, sink in sinks:
            sink.close()
    if not sinks:
        upload_name(None)  # refuses: no file chosen
    name, sink = sinks[0]
    return name, sink.path


def answer(ok: bool, message: str, status: int = 200) -> Response:
    """JSON for the page's script; a flash message and the admin page for the plain form."""
    if wants_json():
        response = jsonify(ok=ok, message=message)
        response.status_code = status
        return response
    flash(message, "ok" if ok else "error")
    return redirect(url_for("admin.index"))


@bp.route("/admin/library/verify", methods=["POST"])
@login_required("admin")
def verify():
    """Rehash every blob; corrupt ones are quarantined and listed."""
    report = off_loop(BlobStore(current_app.config["CLASSBOX"].data_dir).verify)
    db = get_db()
    with db.atomic():
        set_state(db, VERIFY_KEY, {**report.as_dict(), "wall_time": time.time()})
    flash(_("Vérification : %(checked)s fichier(s), %(corrupt)s corrompu(s).", checked=report.checked,
            corrupt=len(report.corrupt)),
          "error" if report.corrupt else "ok")
    return redirect(url_for("admin.index"))


def register_admin(app: Flask) -> None:
    """Add the /admin panel; uploads to its endpoint may be up to max_pack_mb, CSRF-checked by check_csrf."""
    csrf.exempt(upload)  # checked by check_csrf from a header or the query, before the body is read
    register_panel(app, AdminPanel("library", N_("Bibliothèque"), "library/admin_panel.html", panel_context, 20))

    @app.before_request
    def _allow_big_uploads():
        if request.endpoint == "library_admin.upload":
            request.max_content_length = app.config["CLASSBOX"]["library"]["max_pack_mb"] * 1024 * 1024
