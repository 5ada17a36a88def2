"""Admin pages: create, disable and re-enable teacher accounts (and a panel on /admin)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from classbox.auth import current_user, login_required
from classbox.auth.users import ROLES, UserError, add_user, generate_password, list_users, set_disabled
from classbox.storage import get_db
from classbox.web.admin_panels import AdminPanel, register_panel
from classbox.web.i18n_marks import N_

bp = Blueprint("classroom_admin", __name__)


@bp.route("/admin/teachers", methods=["GET", "POST"])
@login_required("admin")
def teachers():
    """List accounts; create one (a password is generated and shown once if none is given)."""
    status = 200
    created = None
    if request.method == "POST":
        login = request.form.get("login", "").strip().lower()[:64]
        role = request.form.get("role", "teacher")
        password = request.form.get("password", "")[:1024]
        generated = not password
        password = password or generate_password()
        try:
            add_user(get_db(), login, role, password, request.form.get("display_name", "").strip()[:80])
        except UserError as err:
            flash(_("Compte non créé : %(error)s", error=err.shown_in(_)), "error")
            status = 400
        else:
            created = {"login": login, "password": password if generated else None}
            flash(_("Compte %(login)s créé.", login=login), "info")
    return render_template("classroom/admin_teachers.html", users=list_users(get_db()), roles=ROLES,
                           created=created), status


@bp.route("/admin/teachers/<login>/<action>", methods=["POST"])
@login_required("admin")
def set_state(login: str, action: str):
    """Disable or re-enable an account (an admin cannot disable themselves)."""
    if action not in ("disable", "enable"):
        abort(404)
    if action == "disable" and login == current_user()["login"]:
        flash(_("Vous ne pouvez pas désactiver votre propre compte."), "error")
        return redirect(url_for("classroom_admin.teachers")), 303
    try:
        set_disabled(get_db(), login, action == "disable")
    except UserError:
        abort(404)
    flash(_("Compte %(login)s désactivé.", login=login) if action == "disable"
          else _("Compte %(login)s réactivé.", login=login), "info")
    return redirect(url_for("classroom_admin.teachers"), 303)


def _panel_context() -> dict:
    users = list_users(get_db())
    return {"teachers": sum(1 for u in users if u["role"] == "teacher" and not u["disabled"]),
            "disabled": sum(1 for u in users if u["disabled"])}


def init_app(app: Flask) -> None:
    """Register the /admin panel."""
    register_panel(app, AdminPanel("teachers", N_("Comptes enseignants"), "classroom/admin_panel.html",
                                   _panel_context, order=20))
