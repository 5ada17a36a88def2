"""The login and logout pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from classbox.auth.throttle import Throttle
from classbox.auth.decorators import current_user
from classbox.auth.users import authenticate, revoke_sessions
from classbox.storage import get_db

bp = Blueprint("auth", __name__)



def throttles() -> tuple[Throttle, Throttle]:
    """This app's login throttles: per login (5 failures / 5 min) and per address (30 / 5 min)."""
    found = current_app.extensions.get("classbox_login_throttles")
    if found is None:
        found = current_app.extensions["classbox_login_throttles"] = (
            Throttle(limit=5, window_s=300), Throttle(limit=30, window_s=300))
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
    """Log a teacher or admin in (throttled per login and per address)."""
    status = 200
    if request.method == "POST":
        login_name = request.form.get("login", "").strip().lower()[:64]
        password = request.form.get("password", "")[:1024]
        login_throttle, address_throttle = throttles()
        keys = (f"login:{login_name}",)
        address = (f"ip:{request.remote_addr}",)
        wait = max(login_throttle.retry_after(*keys), address_throttle.retry_after(*address))
        if wait > 0:
            flash(_("Trop d'essais. Réessayez dans %(seconds)d secondes.", seconds=int(wait) + 1), "error")
            status = 429
        else:
            user = authenticate(get_db(), login_name, password)
            if user is None:
                login_throttle.failed(*keys)
                address_throttle.failed(*address)
                current_app.logger.info("failed login for %r from %s", login_name, request.remote_addr)
                flash(_("Identifiant ou mot de passe incorrect."), "error")
                status = 401
            else:
                login_throttle.reset(*keys)
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
