"""Bind a run's stored evidence objects into the snapshot manifest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from contracts.base import TimeWindow
from contracts.canonical import canonical_json, sha256_hex
from contracts.evidence import COLLECTORS, EVIDENCE_MODELS, EvidenceBase, LogsEvidenceV1
from contracts.ids import partition_key
from contracts.incident_event import IncidentEventV1
from contracts.snapshot import EvidenceSnapshotV1, RepoMapCopy, SnapshotItem, TopSignature
from opsrunbook_dagster.analysis.model import EvidenceHandles
from opsrunbook_dagster.analysis.signatures import signature_of
from opsrunbook_dagster.stores.keys import evidence_key, snapshot_key

if TYPE_CHECKING:  # type hints only: benchmarks and tests build handles without boto3
    from opsrunbook_dagster.pipeline.deps import PipelineDeps
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


def manifest(
    incident_id: str,
    run_id: str,
    service: str,
    environment: str,
    window: TimeWindow,
    items: list[SnapshotItem],
    signatures: list[TopSignature],
    repo_map: RepoMapCopy | None = None,
) -> EvidenceSnapshotV1:
    """The snapshot manifest; its baseline is the window's length just before the window; the
    repository map the packet will resolve owners with travels in it."""
    length = window.end - window.start
    return EvidenceSnapshotV1(
        incident_id=incident_id,
        run_id=run_id,
        partition_key=partition_key(incident_id, run_id),
        service=service,
        environment=environment,
        window=window,
        baseline_window=TimeWindow(start=window.start - length, end=window.start),
        items=items,
        top_signatures=signatures,
        repo_map=repo_map,
    )


def build_snapshot(
    deps: PipelineDeps, event: IncidentEventV1, repo_map: RepoMapCopy | None = None
) -> tuple[EvidenceSnapshotV1, StoredObject]:
    """Bind the run's stored evidence and the repository map (``resolution.repo_map.copy_repo_map``
    of the deployment's setting) into the stored manifest."""
    incident_id, run_id = event.resolved_incident_id, event.run_id
    items = []
    signatures: list[TopSignature] = []
    for collector in COLLECTORS:
        key = evidence_key(incident_id, run_id, collector)
        body = deps.objects.get_bytes(key)
        evidence = EVIDENCE_MODELS[collector].model_validate_json(body)
        items.append(SnapshotItem.of(collector, deps.names.evidence_bucket, key, body, evidence))  # type: ignore[arg-type]
        if isinstance(evidence, LogsEvidenceV1):
            signatures = top_signatures(evidence)
    snapshot = manifest(
        incident_id, run_id, event.service, event.environment, event.time_window, items, signatures, repo_map
    )
    stored = deps.objects.put_json(snapshot_key(incident_id, run_id), snapshot)
    return snapshot, stored


def handles_in_memory(
    evidence: Mapping[str, EvidenceBase],
    service: str,
    environment: str,
    bucket: str = "in-memory",
    repo_map: RepoMapCopy | None = None,
) -> EvidenceHandles:
    """What analysis gets for evidence that was never stored (benchmarks, tests): each object cited by
    the key and sha256 it would be stored under, in a manifest built as ``build_snapshot`` builds it."""
    first = next(iter(evidence.values()))
    incident_id, run_id = first.incident_id, first.run_id
    items = [
        SnapshotItem.of(c, bucket, evidence_key(incident_id, run_id, c), canonical_json(e), e)  # type: ignore[arg-type]
        for c, e in sorted(evidence.items())
    ]
    snapshot = manifest(incident_id, run_id, service, environment, first.window, items, [], repo_map)
    return EvidenceHandles(
        snapshot=snapshot,
        snapshot_key=snapshot_key(incident_id, run_id),
        snapshot_sha256=sha256_hex(canonical_json(snapshot)),
        **evidence,  # type: ignore[arg-type]
    )
