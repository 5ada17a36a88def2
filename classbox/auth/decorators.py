"""Who is logged in, and role checks for views."""

from __future__ import annotations

import functools
from typing import Callable

from flask import abort, g, redirect, request, session, url_for

from classbox.auth.users import get_user
from classbox.storage import get_db


def current_user() -> dict | None:
    """The logged-in teacher or admin of this request, or None."""
    if "classbox_user" not in g:
        user = None
        user_id = session.get("user_id")
        if user_id is not None:
            user = get_user(get_db(), user_id)
            if user is None or user["disabled"] or user["session_epoch"] != session.get("epoch"):
                session.clear()  # account removed or disabled, logged out, password changed: revoked
                user = None
        g.classbox_user = user
    return g.classbox_user


def login_required(*roles: str) -> Callable:
    """Allow the view only to a logged-in user with one of `roles` (any role if none given).

    HTML pages redirect to the login form; /api/ endpoints answer 401 or 403 in JSON.
    """
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                if request.path.startswith("/api/"):
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if roles and user["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
