"""The technician's status page, /admin: every feature's panel (admin login)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from classbox.admin_panels import panels
from classbox.auth import login_required

bp = Blueprint("admin", __name__)


@bp.route("/admin")
@login_required("admin")
def index():
    """The status page: the panels of every feature, in order."""
    sections = [(panel, panel.context()) for panel in panels(current_app)]
    return render_template("admin/index.html", sections=sections)
