"""``X-Hub-Signature-256``: HMAC-SHA256 of the raw request body with the webhook secret."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The header value GitHub sends for ``body``."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, secret: str) -> bool:
    """True only for a well-formed header whose digest matches; compared in constant time."""
    if not header or not secret or not header.startswith(PREFIX):
        return False
    expected = sign(body, secret).encode("ascii")
    try:
        given = header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given)
