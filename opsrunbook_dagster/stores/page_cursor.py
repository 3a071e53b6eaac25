"""Opaque, signed page cursors: a DynamoDB ``LastEvaluatedKey`` a client hands back unchanged.

A cursor is ``base64url(payload) "." base64url(HMAC-SHA256(secret, payload)[:16])`` where the
payload is canonical JSON ``{"f": <fingerprint of the query's filters>, "k": <the key>}``. Decoding
is strict: the size, the alphabet, the signature, the JSON shape, the key's attribute names and
the filters it was issued for must all match, so a client can neither forge a start key (e.g. one
outside the index) nor reuse a cursor with other filters and silently skip or repeat rows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from contracts.canonical import canonical_json

MAX_CURSOR_CHARS = 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_SIGNATURE_BYTES = 16


class InvalidCursor(ValueError):
    """The cursor was not issued by this service for this query (or was altered)."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("not base64url") from exc


def fingerprint(filters: Mapping[str, str | None]) -> str:
    """Short digest of the query a cursor belongs to (unset filters count as absent)."""
    present = {k: v for k, v in sorted(filters.items()) if v is not None}
    return hashlib.sha256(canonical_json(present)).hexdigest()[:16]


@dataclass(frozen=True)
class CursorCodec:
    secret: bytes
    #: Exactly the attribute names a key must have (the table key plus the index key).
    key_attributes: frozenset[str]

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def encode(self, key: Mapping[str, str], query: str) -> str:
        payload = canonical_json({"f": query, "k": dict(key)})
        return f"{_b64encode(payload)}.{_b64encode(self._sign(payload))}"

    def decode(self, token: str, query: str) -> dict[str, str]:
        if len(token) > MAX_CURSOR_CHARS or not _TOKEN.match(token):
            raise InvalidCursor("malformed")
        body, signature = token.split(".")
        payload = _b64decode(body)
        if not hmac.compare_digest(self._sign(payload), _b64decode(signature)):
            raise InvalidCursor("bad signature")
        try:
            doc = json.loads(payload)
        except ValueError as exc:
            raise InvalidCursor("not JSON") from exc
        if not isinstance(doc, dict) or set(doc) != {"f", "k"}:
            raise InvalidCursor("unexpected shape")
        if doc["f"] != query:
            raise InvalidCursor("issued for other filters")
        key = doc["k"]
        if (
            not isinstance(key, dict)
            or set(key) != self.key_attributes
            or not all(isinstance(v, str) and v for v in key.values())
        ):
            raise InvalidCursor("unexpected key")
        return {str(k): str(v) for k, v in key.items()}
