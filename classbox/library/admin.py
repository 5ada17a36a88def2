"""The library's panel on /admin: upload a pack, the library's size, check the blobs."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from classbox.web.admin_panels import AdminPanel, register_panel
from classbox.auth import login_required
from classbox.web.i18n_marks import N_
from classbox.library import catalogue
from classbox.library.manifest import PackError
from classbox.runtime.offload import off_loop
from classbox.library.staging import check_free_space, import_lock, staging
from classbox.library.store import BlobStore
from classbox.storage import get_db
from classbox.storage.core import get_state, set_state

bp = Blueprint("library_admin", __name__)
VERIFY_KEY = "library_verify"
ALLOWED = (".zip", ".zim")


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
def upload():
    """Import an uploaded pack (.zip) or ZIM file."""
    from classbox.library import import_locked

    cfg = current_app.config["CLASSBOX"]
    upload = request.files.get("pack")
    if upload is None or not upload.filename or not upload.filename.lower().endswith(ALLOWED):
        flash(_("Choisissez un paquet .zip ou un fichier .zim."), "error")
        return redirect(url_for("admin.index"))
    suffix = ".zim" if upload.filename.lower().endswith(".zim") else ".zip"
    label = f"upload:{upload.filename[:100]}"

    def save_and_import():  # in a real thread under gevent: copying, hashing, fsync block
        with import_lock(cfg), staging(cfg) as folder:
            target = folder / f"upload{suffix}"
            upload.save(target)
            return import_locked(cfg, target, source_label=label)

    try:
        check_free_space(cfg, request.content_length or 0)
        result = off_loop(save_and_import)
        outcome = {"added": _("ajouté"), "updated": _("mis à jour"), "unchanged": _("déjà présent")}[result.status]
        flash(_("Import de %(pack)s (version %(version)s) : %(outcome)s, %(count)s ressource(s).",
                pack=result.pack, version=result.version, outcome=outcome, count=result.resources), "ok")
    except PackError as err:
        flash(_("Import refusé, la bibliothèque n'a pas changé : %(error)s", error=err.shown_in(_)), "error")
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
    """Add the /admin panel; uploads to its endpoint may be up to max_pack_mb."""
    register_panel(app, AdminPanel("library", N_("Bibliothèque"), "library/admin_panel.html", panel_context, 20))

    @app.before_request
    def _allow_big_uploads():
        if request.endpoint == "library_admin.upload":
            request.max_content_length = app.config["CLASSBOX"]["library"]["max_pack_mb"] * 1024 * 1024
