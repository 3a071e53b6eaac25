"""Turn a collector's raw result into a stored evidence object: redacted, within budget, canonical."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from contracts.canonical import canonical_json, sha256_hex, to_jsonable
from contracts.evidence import EVIDENCE_MODELS, EvidenceBase
from opsrunbook_dagster.collectors.budgets import Budgets
from opsrunbook_dagster.collectors.redaction import redact_tree

#: Per collector: the list that is shed (from its end) when an object is over budget.
_SHEDDABLE = {"logs": "rows", "metrics": "series", "stepfn": "executions"}


@dataclass(frozen=True)
class StoredEvidence:
    model: EvidenceBase
    body: bytes
    sha256: str
    #: when and how it was collected (wall clock, query ids): stored beside the body, never hashed
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def byte_size(self) -> int:
        return len(self.body)


def _note(collector: str, dropped: int, limit: int) -> str:
    return f"{dropped} {_SHEDDABLE[collector]} dropped to stay under {limit} bytes"


def _as_stored(doc: dict[str, Any], collector: str, dropped: int, limit: int) -> dict[str, Any]:
    """``doc`` as it will be stored after ``dropped`` items went (note added, byte_size at its widest)."""
    trial = {**doc, "byte_size": limit}
    if dropped:
        trial["truncated"] = True
        trial["limits"] = [*doc["limits"], _note(collector, dropped, limit)]
    return trial


def _shed_to_budget(doc: dict[str, Any], collector: str, limit: int) -> int:
    """Drop items from the sheddable list until the document fits; returns how many were dropped."""
    items = doc[_SHEDDABLE[collector]]
    if collector == "logs":
        # Keep incident-window rows first; within a window rows are newest first.
        items.sort(key=lambda r: 0 if r["window"] == "incident" else 1)
    dropped = 0
    while items and len(canonical_json(_as_stored(doc, collector, dropped, limit))) > limit:
        cut = max(1, len(items) // 10)
        del items[-cut:]
        dropped += cut
    return dropped


def split_provenance(doc: dict[str, Any]) -> dict[str, str]:
    """Take the wall-clock and per-call random values out of ``doc``: the same world must give the same
    bytes (and so the same sha256, evidence refs and packet)."""
    provenance: dict[str, str] = {}
    collected_at, doc["collected_at"] = doc.get("collected_at"), None
    if collected_at:
        provenance["collected-at"] = str(collected_at)
    query_ids = []
    for query in doc.get("queries", []):
        if query.get("query_id"):
            query_ids.append(str(query["query_id"]))
        query["query_id"] = None
    if query_ids:
        provenance["query-ids"] = ",".join(query_ids)[:1024]  # S3 user metadata is capped at 2 KB
    return provenance


def finalize(raw: EvidenceBase, budgets: Budgets) -> StoredEvidence:
    """Redact every string, shed to the byte budget, and fix ``byte_size`` to the stored length."""
    collector = raw.collector  # type: ignore[attr-defined]
    hits: Counter[str] = Counter()
    doc = redact_tree(to_jsonable(raw), hits)
    provenance = split_provenance(doc)
    doc["redaction"] = {"ran": True, "total_hits": sum(hits.values()), "hits": dict(sorted(hits.items()))}
    limit = budgets.object_limit(collector)
    if doc.get("season_series") and len(canonical_json(_as_stored(doc, collector, 0, limit))) > limit:
        # the season probe is context for the analysis, the fetched series are the evidence: it goes first
        doc["season_series"], doc["season_period_seconds"] = [], None
        doc["limits"] = [*doc["limits"], f"season probe dropped to stay under {limit} bytes"]
    dropped = _shed_to_budget(doc, collector, limit)
    if dropped:
        doc["truncated"] = True
        doc["limits"] = [*doc["limits"], _note(collector, dropped, limit)]
    # byte_size is part of the body: iterate to the fixed point (converges in a few steps).
    size = 0
    for _ in range(5):
        doc["byte_size"] = size
        body = canonical_json(doc)
        if len(body) == size:
            break
        size = len(body)
    model = EVIDENCE_MODELS[collector].model_validate(doc)
    return StoredEvidence(model=model, body=body, sha256=sha256_hex(body), provenance=provenance)
