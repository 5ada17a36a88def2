"""The one error type of classes: a machine code, the line of a CSV it is about, a message for people."""

from __future__ import annotations

from classbox.web.i18n_marks import N_

MESSAGES = {
    "invalid_class_name": N_("Donnez à la classe un nom de 1 à 60 caractères, sans < ni >."),
    "invalid_levels": N_("Choisissez un ou plusieurs niveaux parmi CP, CE1, CE2, CM1, CM2, 6e, 5e, 4e, 3e."),
    "invalid_picture": N_("Cette image n'existe pas sur la classbox."),
    "duplicate_name": N_("Deux élèves de la classe ne peuvent pas porter le même nom."),
    "unknown_class": N_("Cette classe n'existe pas."),
    "unknown_member": N_("Cet élève n'est pas dans la classe."),
    "bad_order": N_("Le nouvel ordre doit citer chaque élève de la classe une fois."),
    "too_many_members": N_("Une classe compte au plus %(max)s élèves."),
    "malformed": N_("Requête incompréhensible."),
    "csv_too_large": N_("Fichier trop long : une liste de classe compte au plus %(max)s lignes (ligne %(line)s)."),
    "csv_binary": N_("Ce fichier n'est pas une liste d'élèves en texte (CSV) : contenu illisible ligne %(line)s."),
    "csv_encoding": N_("Caractères illisibles ligne %(line)s : enregistrez le fichier en CSV UTF-8."),
    "csv_invalid_name": N_("Ligne %(line)s : %(reason)s"),
    "invalid_secret": N_("Un code secret, ce sont deux images de la grille, dans l'ordre."),
    "secrets_off": N_("Les codes secrets ne sont pas activés pour cette classe."),
    "csv_empty": N_("Aucun prénom trouvé dans ce fichier."),
}


class ClassesError(Exception):
    """A refused request: `code` for programs, `line` (CSV, 1-based) when it is about one line."""

    def __init__(self, code: str, line: int | None = None, cause: Exception | None = None, **params: object) -> None:
        super().__init__(code if line is None else f"{code} (line {line})")
        self.code, self.line, self.params = code, line, params
        self.cause = cause  # the classroom's refusal of a name, which says why

    @property
    def message(self) -> str:
        """The message in the language of the request (French outside a request)."""
        from flask_babel import gettext  # not at import time: `classbox agent` runs without Flask

        reason = getattr(self.cause, "message", None)
        if self.code == "invalid_name" and reason:
            return reason
        params = {**self.params, "reason": reason} if reason else self.params
        return gettext(MESSAGES.get(self.code, N_("Erreur.")), line=self.line, **params)

    def as_json(self) -> dict:
        """The JSON body of an error answer."""
        body: dict = {"error": self.code, "message": self.message}
        if self.line is not None:
            body["line"] = self.line
        return body
