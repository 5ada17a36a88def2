"""Error responses: French HTML pages for people, JSON under /api/ for programs."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES_FR = {
    400: (_l("Requête incorrecte"), _l("La demande envoyée n'a pas pu être comprise.")),
    401: (_l("Connexion nécessaire"), _l("Connectez-vous pour accéder à cette page.")),
    403: (_l("Accès refusé"), _l("Vous n'avez pas le droit d'accéder à cette page.")),
    404: (_l("Page introuvable"), _l("Cette page n'existe pas sur la classbox.")),
    405: (_l("Méthode non autorisée"), _l("Cette action n'est pas possible ici.")),
    413: (_l("Fichier trop gros"), _l("Le fichier envoyé dépasse la taille autorisée.")),
    416: (_l("Plage demandée invalide"), _l("La partie demandée du fichier n'existe pas.")),
    429: (_l("Trop de demandes"), _l("Patientez un peu avant de réessayer.")),
    500: (_l("Erreur du serveur"), _l("Un problème est survenu sur la classbox. Réessayez dans un instant.")),
    503: (_l("Service indisponible"), _l("La classbox n'est pas prête. Réessayez dans un instant.")),
}


def wants_json() -> bool:
    """API paths, and clients that ask only for JSON, get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _error_response(error: HTTPException):
    code = error.code or 500
    title, text = MESSAGES_FR.get(code, (error.name, error.description or ""))
    if isinstance(error, CSRFError):
        text = gettext("Le formulaire a expiré. Rechargez la page et recommencez.")
    if wants_json():
        body = {"error": error.name.lower().replace(" ", "_"), "status": code,
                "message": error.description if code != 500 else "internal error"}
        response = jsonify(body)
    else:
        response = render_template("error.html", code=code, title=title, text=text)
    headers = error.get_response().headers if code != 500 else {}
    extra = {k: v for k, v in headers.items() if k in ("Retry-After", "Allow", "Content-Range", "WWW-Authenticate")}
    return response, code, extra


def register_error_handlers(app: Flask) -> None:
    """French error pages and JSON errors for every HTTP error and unexpected exception."""
    app.register_error_handler(HTTPException, _error_response)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _error_response(error)
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return _error_response(InternalServerError())
