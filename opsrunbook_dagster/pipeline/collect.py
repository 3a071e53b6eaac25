"""Collect the three kinds of evidence concurrently and store each object in S3."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from contracts.evidence import COLLECTORS, EVIDENCE_MODELS
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.collectors.budgets import CollectRequest
from opsrunbook_dagster.collectors.finalize import StoredEvidence, finalize
from opsrunbook_dagster.collectors.logs import LogsCollector
from opsrunbook_dagster.collectors.metrics import MetricsCollector
from opsrunbook_dagster.collectors.stepfn import StepFnCollector, resolve_state_machines
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.keys import evidence_key
from opsrunbook_dagster.stores.objects import StoredObject


@dataclass(frozen=True)
class CollectedEvidence:
    collector: str
    evidence: StoredEvidence
    stored: StoredObject
    seconds: float


def load_request(deps: PipelineDeps, incident_id: str, run_id: str) -> IncidentEventV1:
    row = deps.incidents.run(incident_id, run_id)
    if row is None or "request_body" not in row:
        raise LookupError(f"no request stored for incident {incident_id} run {run_id}")
    return IncidentEventV1.model_validate_json(str(row["request_body"]))


def collect_one(deps: PipelineDeps, collector: str, request: CollectRequest) -> CollectedEvidence:
    started = time.perf_counter()
    if collector == "logs":
        raw = LogsCollector(deps.lazy_client("logs"), deps.budgets).collect(request)
    elif collector == "metrics":
        probe = deps.lazy_client("cloudwatch", max_attempts=1)
        raw = MetricsCollector(deps.lazy_client("cloudwatch"), probe, deps.budgets).collect(request)
    else:
        raw = StepFnCollector(deps.lazy_client("stepfunctions"), deps.budgets).collect(request)
    evidence = finalize(raw, deps.budgets)
    key = evidence_key(request.incident_id, request.run_id, collector)
    stored = deps.objects.put_bytes(key, evidence.body, evidence.provenance)
    if not stored.created and stored.sha256 != evidence.sha256:
        # Evidence is write-once: a retried or re-materialized step keeps what the first one stored
        # (the snapshot is built from the stored bytes), so report that, not this collection.
        body = deps.objects.get_bytes(key, expected_sha256=stored.sha256)
        model = EVIDENCE_MODELS[collector].model_validate_json(body)
        evidence = StoredEvidence(model=model, body=body, sha256=stored.sha256)
    return CollectedEvidence(collector, evidence, stored, time.perf_counter() - started)


def collect_all(
    deps: PipelineDeps, event: IncidentEventV1, collectors: tuple[str, ...] = COLLECTORS
) -> dict[str, CollectedEvidence]:
    """Run the collectors in parallel threads: wall time is the slowest collector, not the sum."""
    request = CollectRequest.from_event(event)
    if event.hints.state_machines and ("metrics" in collectors):
        arns, _ = resolve_state_machines(deps.client("stepfunctions"), event.hints.state_machines)
        request = CollectRequest(request.incident_id, request.run_id, event, arns)
    with ThreadPoolExecutor(max_workers=len(collectors), thread_name_prefix="collector") as pool:
        futures = {c: pool.submit(collect_one, deps, c, request) for c in collectors}
        return {c: f.result() for c, f in futures.items()}
