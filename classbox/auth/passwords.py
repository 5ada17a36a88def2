"""Refusing common and guessable passwords (zxcvbn), with the reason in French and English."""

from __future__ import annotations

from classbox.web.i18n_marks import N_, ShownError

MIN_LENGTH = 8
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable", about 10^10 guesses
CHECKED_CHARS = 72  # zxcvbn's own ceiling; what follows only adds strength

HINT_EN = "choose several uncommon words, for example three words joined by dashes"

# The first kind of match found (in this order) in zxcvbn's best guess says why: English, French.
REASONS = [
    ("user_inputs", f"password refused: it repeats the account's login or name; {HINT_EN}",
     N_("mot de passe refusé : il reprend l'identifiant ou le nom du compte ; choisissez plusieurs "
        "mots peu courants, par exemple trois mots reliés par des tirets")),
    ("passwords", f"password refused: it is among the most common passwords; {HINT_EN}",
     N_("mot de passe refusé : il fait partie des mots de passe les plus courants ; choisissez "
        "plusieurs mots peu courants, par exemple trois mots reliés par des tirets")),
    ("spatial", f"password refused: it is a row of keyboard keys; {HINT_EN}",
     N_("mot de passe refusé : c'est une suite de touches du clavier ; choisissez plusieurs mots "
        "peu courants, par exemple trois mots reliés par des tirets")),
    ("sequence", f"password refused: a sequence or a repeat (abcd, 1234, aaaa) is guessed quickly; {HINT_EN}",
     N_("mot de passe refusé : une suite ou une répétition (abcd, 1234, aaaa) se devine vite ; "
        "choisissez plusieurs mots peu courants, par exemple trois mots reliés par des tirets")),
    ("date", f"password refused: a date or a year is guessed quickly; {HINT_EN}",
     N_("mot de passe refusé : une date ou une année se devine vite ; choisissez plusieurs mots "
        "peu courants, par exemple trois mots reliés par des tirets")),
    ("", f"password refused: too easy to guess (common words, names); {HINT_EN}",
     N_("mot de passe refusé : trop facile à deviner (mots courants, prénoms) ; choisissez "
        "plusieurs mots peu courants, par exemple trois mots reliés par des tirets")),
]


class WeakPasswordError(ShownError, ValueError):
    """A password refused as too short or too guessable (English for the CLI, French for pages)."""


def _kind(match: dict) -> str:
    """The reason key of one zxcvbn match."""
    pattern = match.get("pattern", "")
    if pattern == "dictionary":
        return "user_inputs" if match.get("dictionary_name") == "user_inputs" else (
            "passwords" if match.get("dictionary_name") == "passwords" else "words")
    if pattern in ("sequence", "repeat"):
        return "sequence"
    if pattern == "regex":
        return "date"  # zxcvbn's only regex is recent years
    return pattern


def check_password(password: str, login: str = "", display_name: str = "") -> None:
    """Raise WeakPasswordError if the password is short, common or guessable from the account."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"password too short: at least {MIN_LENGTH} characters",
                                N_("mot de passe trop court : %(min)s caractères au moins"), min=MIN_LENGTH)
    inputs = [part for text in (login, display_name) for part in [text, *text.replace(".", " ").split()] if part]
    from zxcvbn import zxcvbn  # 12 MB of word lists: loaded by the first password checked, not by every web worker

    result = zxcvbn(password[:CHECKED_CHARS], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return
    kinds = {_kind(match) for match in result["sequence"]}
    for key, english, french in REASONS:
        if key in kinds or not key:
            raise WeakPasswordError(english, french)
