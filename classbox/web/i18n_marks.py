"""`N_`: marks a French string for the translation catalog, importable without Flask (the agent)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a French string for the catalog without translating it (translated where shown)."""
    return message


class ShownError(Exception):
    """An error with two faces: `str(err)`, the English line for logs and the CLI; and `shown`, a
    French sentence marked with N_ (with `params`) that pages translate with `err.shown_in(gettext)`.
    Without `shown`, pages show the English line."""

    def __init__(self, text: str, shown: str | None = None, **params):
        super().__init__(text)
        self.shown, self.params = shown, params

    def shown_in(self, gettext) -> str:
        """The message in the page's language (`gettext(msgid, **params)`, as flask_babel's)."""
        return gettext(self.shown, **self.params) if self.shown else str(self)
