"""The one error type of the classroom: a machine code and a message for people (French, translated)."""

from __future__ import annotations

from classbox.web.i18n_marks import N_

MESSAGES = {
    "unknown_code": N_("Ce code ne correspond à aucune séance. Vérifiez-le auprès de l'enseignant."),
    "closed": N_("Cette séance est terminée."),
    "invalid_name": N_("Écrivez un prénom ou un pseudo."),
    "full": N_("La séance est complète."),
    "joining_closed": N_("L'enseignant a fermé les inscriptions à cette séance. Demandez-lui de les rouvrir."),
    "rate_limited": N_("Trop d'essais d'un coup. Patientez quelques secondes."),
    "bad_token": N_("Votre appareil n'est plus reconnu. Rejoignez la séance avec votre prénom."),
    "removed": N_("L'enseignant vous a retiré de la séance."),
    "not_joined": N_("Rejoignez d'abord une séance."),
    "forbidden": N_("Action réservée à l'enseignant de la séance."),
    "malformed": N_("Message incompréhensible."),
    "too_large": N_("Envoi trop gros."),
    "invalid_activity": N_("Activité incorrecte."),
    "unknown_activity": N_("Cette activité n'existe pas ou n'est pas pour vous."),
    "not_answerable": N_("Cette activité n'attend pas de réponse."),
    "invalid_answer": N_("Réponse incorrecte : vérifiez-la et renvoyez-la."),
    "time_up": N_("Le temps est écoulé."),
    "duplicate_id": N_("Cet identifiant d'envoi est déjà utilisé."),
    "file_too_large": N_("Le fichier est trop gros."),
    "file_type": N_("Ce type de fichier n'est pas accepté (photo JPEG/PNG/WebP, PDF, texte, OpenDocument)."),
    "no_session": N_("Aucune séance ouverte sur cette connexion."),
    "unknown_pupil": N_("Cet élève n'est pas dans la séance."),
    "storage": N_("La classbox n'a pas pu enregistrer. Réessayez."),
    "storage_full": N_("La classbox est presque pleine : elle ne prend plus de photos ni de fichiers. "
                       "Votre travail est gardé sur l'appareil ; prévenez l'enseignant."),
}


class ClassroomError(Exception):
    """A refused request: `code` for programs, `message` (French) for people."""

    def __init__(self, code: str, detail: str = "", message: str | None = None, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.template = message  # a message marked with N_() saying more than the code's own
        self.values = values

    @property
    def message(self) -> str:
        """The message in the language of the request (French outside a request)."""
        from flask_babel import gettext  # not at import time: `classbox agent` runs without Flask

        return gettext(self.template or MESSAGES.get(self.code, N_("Erreur.")), **self.values)

    def as_ack(self) -> dict:
        """The ack or JSON body sent back for this error."""
        body = {"ok": False, "error": self.code, "message": self.message}
        if self.detail:
            body["detail"] = self.detail
        return body
