"""Canonical JSON: the one serialisation used for every stored object and every hash.

Rules: keys sorted, compact separators, UTF-8 (no ASCII escaping), no NaN/Infinity,
datetimes as ISO-8601 in UTC with a ``Z`` suffix, enums by value, tuples/sets as lists
(sets sorted). Hashes never cover wall-clock fields (see ``HASH_EXCLUDED_FIELDS``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

#: Top-level fields that carry wall-clock time or hashes of the object itself.
HASH_EXCLUDED_FIELDS: frozenset[str] = frozenset(
    {"created_at", "collected_at", "received_at", "started_at", "finished_at", "packet_hashes", "plan_sha256"}
)


def format_datetime(value: datetime) -> str:
    """ISO-8601 in UTC with a ``Z`` suffix; naive datetimes are rejected."""
    if value.tzinfo is None:
        raise ValueError("naive datetime cannot be serialised canonically")
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def to_jsonable(value: Any) -> Any:
    """Convert models, datetimes, enums and containers into plain JSON values."""
    if isinstance(value, BaseModel):
        return to_jsonable(value.model_dump(mode="python", by_alias=True))
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, (set, frozenset)):
        return sorted(to_jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Iterable):
        return [to_jsonable(v) for v in value]
    raise TypeError(f"cannot serialise {type(value).__name__} canonically")


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes of ``value``."""
    return json.dumps(
        to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_hash(value: Any, exclude: Iterable[str] = HASH_EXCLUDED_FIELDS) -> str:
    """sha256 of the canonical JSON of ``value`` without its top-level wall-clock/self-hash fields."""
    plain = to_jsonable(value)
    if isinstance(plain, dict):
        excluded = set(exclude)
        plain = {k: v for k, v in plain.items() if k not in excluded}
    return sha256_hex(canonical_json(plain))


def short_hash(*parts: str, length: int = 12) -> str:
    """A stable short id component derived from ``parts`` (joined unambiguously)."""
    joined = "\x1f".join(parts).encode("utf-8")
    return hashlib.sha256(joined).hexdigest()[:length]
