"""Bind a run's stored evidence objects into the snapshot manifest."""

from __future__ import annotations

from collections import Counter

from contracts.canonical import sha256_hex
from contracts.evidence import COLLECTORS, EVIDENCE_MODELS, LogsEvidenceV1
from contracts.ids import partition_key
from contracts.incident_event import IncidentEventV1
from contracts.snapshot import EvidenceSnapshotV1, SnapshotItem, TopSignature
from opsrunbook_dagster.analysis.signatures import signature_of
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.keys import evidence_key, snapshot_key
from opsrunbook_dagster.stores.objects import StoredObject

TOP_SIGNATURES = 10


def top_signatures(logs: LogsEvidenceV1) -> list[TopSignature]:
    incident: Counter[tuple[str, str]] = Counter()
    baseline: Counter[tuple[str, str]] = Counter()
    for row in logs.rows:
        if row.message.startswith(("REPORT RequestId", "START RequestId", "END RequestId")):
            continue
        key = (row.log_group, signature_of(row.message).text)
        (incident if row.window == "incident" else baseline)[key] += 1
    ranked = sorted(incident.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_SIGNATURES]
    return [
        TopSignature(signature=sig, log_group=group, count=n, baseline_count=baseline[(group, sig)])
        for (group, sig), n in ranked
    ]


def build_snapshot(deps: PipelineDeps, event: IncidentEventV1) -> tuple[EvidenceSnapshotV1, StoredObject]:
    incident_id, run_id = event.resolved_incident_id, event.run_id
    items = []
    signatures: list[TopSignature] = []
    for collector in COLLECTORS:
        key = evidence_key(incident_id, run_id, collector)
        body = deps.objects.get_bytes(key)
        evidence = EVIDENCE_MODELS[collector].model_validate_json(body)
        items.append(
            SnapshotItem(
                collector=collector,  # type: ignore[arg-type]
                bucket=deps.names.evidence_bucket,
                key=key,
                sha256=sha256_hex(body),
                byte_size=len(body),
                truncated=evidence.truncated,
                status=evidence.status,
            )
        )
        if isinstance(evidence, LogsEvidenceV1):
            signatures = top_signatures(evidence)
    length = event.time_window.end - event.time_window.start
    snapshot = EvidenceSnapshotV1(
        incident_id=incident_id,
        run_id=run_id,
        partition_key=partition_key(incident_id, run_id),
        service=event.service,
        environment=event.environment,
        window=event.time_window,
        baseline_window={"start": event.time_window.start - length, "end": event.time_window.start},  # type: ignore[arg-type]
        items=items,
        top_signatures=signatures,
    )
    stored = deps.objects.put_json(snapshot_key(incident_id, run_id), snapshot)
    return snapshot, stored
