"""API-key checks in constant time against every configured key (so keys can be rotated)."""

from __future__ import annotations

import hmac
from enum import Enum

from opsrunbook_api.core.secrets import SecretSource, split_keys


class KeyCheck(Enum):
    missing = "missing"
    invalid = "invalid"
    valid = "valid"


def matches_any(candidate: str, keys: tuple[str, ...]) -> bool:
    """True if ``candidate`` equals one of ``keys``; every key is compared (no early exit)."""
    given = candidate.encode("utf-8")
    found = False
    for key in keys:
        found |= hmac.compare_digest(given, key.encode("utf-8"))
    return found


def check_api_key(candidate: str | None, source: SecretSource) -> KeyCheck:
    """Raises ``SecretUnavailable`` when no keys can be loaded (the API then refuses to serve)."""
    if not candidate:
        return KeyCheck.missing
    keys = split_keys(source.get())
    return KeyCheck.valid if keys and matches_any(candidate, keys) else KeyCheck.invalid
