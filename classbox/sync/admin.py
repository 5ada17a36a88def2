"""The sync section of /admin, and its "retry dead records" endpoint."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, request, url_for
from flask_babel import gettext as _

from classbox.auth import login_required
from classbox.storage import get_db
from classbox.web.admin_panels import AdminPanel, register_panel
from classbox.web.i18n import N_, duration, when

bp = Blueprint("sync", __name__)


def _age(seconds: float | None) -> str:
    return "—" if seconds is None else duration(seconds, fine=True)


def panel_context() -> dict:
    """Figures for the panel, computed from the outbox and the stored status."""
    from classbox.sync import status

    db = get_db()
    current = status.refresh(db)
    targets = {k: v for k, v in current.get("targets", {}).items() if not k.startswith("_")}
    return {"status": current, "targets": targets, "dead": status.dead_records(db, 50),
            "when": when, "age": _age}


@bp.route("/admin/sync/retry-dead", methods=["POST"])
@login_required("admin")
def retry_dead():
    """Put one dead record (seq) or all of them back in the queue."""
    from classbox.sync.outbox import retry_dead as retry

    seq = request.form.get("seq", type=int)
    count = retry(get_db(), seq)
    flash(_("%(count)s enregistrement(s) remis dans la file d'envoi.", count=count))
    return redirect(url_for("admin.index") + "#panel-sync")


def init_admin(app: Flask) -> None:
    """Register the panel."""
    register_panel(app, AdminPanel("sync", N_("Synchronisation avec l'ENT"), "sync/admin_panel.html",
                                   panel_context, order=30))
