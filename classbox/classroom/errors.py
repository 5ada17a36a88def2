"""The one error type of the classroom: a machine code and a French message for people."""

from __future__ import annotations

MESSAGES = {
    "unknown_code": "Ce code ne correspond à aucune séance. Vérifiez-le auprès de l'enseignant.",
    "closed": "Cette séance est terminée.",
    "invalid_name": "Choisissez un prénom ou un pseudo de 1 à 30 lettres, sans < ni >.",
    "full": "La séance est complète.",
    "rate_limited": "Trop d'essais d'un coup. Patientez quelques secondes.",
    "bad_token": "Votre appareil n'est plus reconnu. Rejoignez la séance avec votre prénom.",
    "removed": "L'enseignant vous a retiré de la séance.",
    "not_joined": "Rejoignez d'abord une séance.",
    "forbidden": "Action réservée à l'enseignant de la séance.",
    "malformed": "Message incompréhensible.",
    "too_large": "Envoi trop gros.",
    "invalid_activity": "Activité incorrecte.",
    "unknown_activity": "Cette activité n'existe pas ou n'est pas pour vous.",
    "not_answerable": "Cette activité n'attend pas de réponse.",
    "invalid_answer": "Réponse incorrecte : vérifiez-la et renvoyez-la.",
    "time_up": "Le temps est écoulé.",
    "duplicate_id": "Cet identifiant d'envoi est déjà utilisé.",
    "file_too_large": "Le fichier est trop gros.",
    "file_type": "Ce type de fichier n'est pas accepté (photo JPEG/PNG/WebP, PDF, texte, OpenDocument).",
    "no_session": "Aucune séance ouverte sur cette connexion.",
    "unknown_pupil": "Cet élève n'est pas dans la séance.",
    "storage": "La classbox n'a pas pu enregistrer. Réessayez.",
}


class ClassroomError(Exception):
    """A refused request: `code` for programs, `message` (French) for people."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail

    @property
    def message(self) -> str:
        return MESSAGES.get(self.code, "Erreur.")

    def as_ack(self) -> dict:
        """The ack or JSON body sent back for this error."""
        body = {"ok": False, "error": self.code, "message": self.message}
        if self.detail:
            body["detail"] = self.detail
        return body
