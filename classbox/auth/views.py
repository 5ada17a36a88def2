"""The login and logout pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from classbox.auth.shared_throttle import login_guard_for
from classbox.auth.throttle import LoginGuard
from classbox.auth.decorators import current_user, login_required
from classbox.auth.users import UserError, authenticate, get_user, revoke_sessions, set_password
from classbox.storage import get_db

bp = Blueprint("auth", __name__)



def login_guard() -> LoginGuard:
    """This app's login guard (growing delays per login and device, global brake)."""
    found = current_app.extensions.get("classbox_login_guard")
    if found is None:
        found = current_app.extensions["classbox_login_guard"] = login_guard_for(
            current_app.extensions.get("classbox_shared"))  # several workers: one count in Redis
    return found


def _safe_next(target: str | None, default: str) -> str:
    """Only follow a `next` that stays on this box."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log a teacher or admin in (a guessing device waits longer after each failure)."""
    status = 200
    if request.method == "POST":
        login_name = request.form.get("login", "").strip().lower()[:64]
        password = request.form.get("password", "")[:1024]
        guard, address = login_guard(), str(request.remote_addr)
        wait = guard.retry_after(login_name, address)
        if wait > 0:
            flash(_("Trop d'essais. Réessayez dans %(seconds)d secondes.", seconds=int(wait) + 1), "error")
            status = 429
        else:
            guard.slow_down()
            user = authenticate(get_db(), login_name, password)
            if user is None:
                guard.failed(login_name, address)
                current_app.logger.info("failed login for %r from %s", login_name, address)
                flash(_("Identifiant ou mot de passe incorrect."), "error")
                status = 401
            else:
                guard.succeeded(login_name, address)
                session.clear()
                session["user_id"] = user["id"]
                session["epoch"] = user["session_epoch"]
                session.permanent = True
                default = url_for("admin.index") if user["role"] == "admin" and "admin.index" in current_app.view_functions else "/teacher"
                return redirect(_safe_next(request.args.get("next"), default))
    return render_template("auth/login.html"), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out on every device: every cookie of the account stops working, here and copied elsewhere."""
    user = current_user()
    if user is not None:
        revoke_sessions(get_db(), user["id"])
    session.clear()
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required()
def change_password():
    """A teacher or admin changes their own password; their other devices are logged out."""
    status = 200
    if request.method == "POST":
        user = current_user()
        current, new = request.form.get("current", "")[:1024], request.form.get("new", "")[:1024]
        guard, address = login_guard(), str(request.remote_addr)
        if guard.retry_after(user["login"], address) > 0:
            flash(_("Trop d'essais. Réessayez plus tard."), "error")
            return render_template("auth/password.html"), 429
        if new != request.form.get("confirm", "")[:1024]:
            flash(_("Les deux nouveaux mots de passe diffèrent."), "error")
            status = 400
        elif authenticate(get_db(), user["login"], current) is None:
            guard.failed(user["login"], address)
            flash(_("Mot de passe actuel incorrect."), "error")
            status = 400
        else:
            try:
                set_password(get_db(), user["login"], new)
            except UserError as err:
                flash(err.shown_in(_), "error")
                status = 400
            else:
                session["epoch"] = get_user(get_db(), user["id"])["session_epoch"]  # this device stays in
                flash(_("Mot de passe changé. Vos autres appareils sont déconnectés."), "info")
                return redirect(url_for("auth.change_password"), 303)
    return render_template("auth/password.html"), status
