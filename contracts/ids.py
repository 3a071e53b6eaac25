"""Identifier formats and derivations: incident ids, run ids and Dagster partition keys."""

from __future__ import annotations

import re

from contracts.canonical import short_hash

INCIDENT_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{2,63}"
RUN_ID_PATTERN = r"r[0-9a-f]{12}"
#: One dynamic partition per (incident, collector run): ``<incident_id>.<run_id>``.
PARTITION_KEY_PATTERN = rf"(?P<incident_id>{INCIDENT_ID_PATTERN})\.(?P<run_id>{RUN_ID_PATTERN})"

_PARTITION_KEY_RE = re.compile(rf"^{PARTITION_KEY_PATTERN}$")


def derive_incident_id(event_id: str) -> str:
    """Incident id used when the caller gives none: stable for the same ``event_id``."""
    return "inc-" + short_hash("incident", event_id)


def derive_run_id(event_id: str) -> str:
    """Collector-run id of the request carrying ``event_id``."""
    return "r" + short_hash("run", event_id)


def partition_key(incident_id: str, run_id: str) -> str:
    key = f"{incident_id}.{run_id}"
    if not _PARTITION_KEY_RE.match(key):
        raise ValueError(f"invalid partition key parts: incident_id={incident_id!r} run_id={run_id!r}")
    return key


def parse_partition_key(key: str) -> tuple[str, str]:
    """Split a partition key into ``(incident_id, run_id)``; raises ``ValueError`` if malformed."""
    match = _PARTITION_KEY_RE.match(key)
    if not match:
        raise ValueError(f"invalid partition key {key!r}: expected <incident_id>.<run_id>")
    return match.group("incident_id"), match.group("run_id")
