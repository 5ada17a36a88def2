"""Signed device tokens: a pupil's tablet proves it is the same pupil after a reload or a drop."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "classbox.classroom.device"
MAX_AGE_S = 14 * 3600  # a school day and then some


class TokenError(ValueError):
    """The token is forged, damaged or too old."""


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, session_id: int, pupil_id: str, nonce: str) -> str:
    """A token bound to one pupil of one session (the nonce lets the teacher revoke it)."""
    return _serializer(secret_key).dumps({"s": session_id, "p": pupil_id, "n": nonce})


def read_token(secret_key: str, token: object, max_age_s: int = MAX_AGE_S) -> dict:
    """The {s, p, n} claims of a valid token; TokenError otherwise."""
    if not isinstance(token, str) or len(token) > 512:
        raise TokenError("malformed")
    try:
        claims = _serializer(secret_key).loads(token, max_age=max_age_s)
    except SignatureExpired:
        raise TokenError("expired") from None
    except BadSignature:
        raise TokenError("forged") from None
    if not (isinstance(claims, dict) and isinstance(claims.get("s"), int)
            and isinstance(claims.get("p"), str) and isinstance(claims.get("n"), str)):
        raise TokenError("malformed")
    return claims
