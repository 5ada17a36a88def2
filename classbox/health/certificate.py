"""The HTTPS certificate nginx serves ([web] tls_certificate), as health reports it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID


def _issuer(cert: x509.Certificate) -> str:
    """The issuer's common name, else its whole name."""
    names = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.issuer.rfc4514_string()


def _names(cert: x509.Certificate) -> list[str]:
    """The DNS names and addresses the certificate is for."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*san.get_values_for_type(x509.DNSName), *map(str, san.get_values_for_type(x509.IPAddress))]


def read_certificate(path: str, wall: float) -> dict[str, Any] | None:
    """Issuer, names, end (Unix time) and days left at `wall` of the chain's first certificate;
    None without HTTPS; {"path", "error"} when the file cannot be read as a certificate."""
    if not path:
        return None
    try:
        cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
    except (OSError, ValueError) as err:
        return {"path": path, "error": (getattr(err, "strerror", None) or str(err) or type(err).__name__)[:200]}
    not_after = cert.not_valid_after_utc.timestamp()
    return {"path": path, "issuer": _issuer(cert), "names": _names(cert), "not_after": not_after,
            "days_left": round((not_after - wall) / 86400, 2)}
