"""evidence_logs / evidence_metrics / evidence_stepfn: one multi-asset so the three collectors run
concurrently inside a single step (wall time ≈ the slowest collector)."""

from typing import Any

import dagster as dg

from contracts.evidence import COLLECTORS, MetricsEvidenceV1
from opsrunbook_dagster.charts.series_table import COLUMNS, series_rows
from opsrunbook_dagster.collectors.errors import THROTTLING_CODES
from opsrunbook_dagster.defs.incidents.partitions import ids_of, incident_runs
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.pipeline.collect import CollectedEvidence, collect_all, load_request
from opsrunbook_dagster.pipeline.status import attempt_of, mark_run

GROUP = "incident"
THROTTLE_RETRIES = 3
EVIDENCE_KEYS = {c: dg.AssetKey(f"evidence_{c}") for c in COLLECTORS}
BUDGET_CHECK = "evidence_within_budget"


def _metadata(item: CollectedEvidence) -> dict[str, Any]:
    model = item.evidence.model
    counts = {
        "logs": ("rows", len(getattr(model, "rows", []))),
        "metrics": ("series", len(getattr(model, "series", []))),
        "stepfn": ("executions", len(getattr(model, "executions", []))),
    }[item.collector]
    statuses = {
        s.source: f"{s.status.value}{' (' + s.error_code + ')' if s.error_code else ''}"
        for s in model.sources
    }
    return {
        "s3_uri": dg.MetadataValue.url(item.stored.uri),
        "sha256": item.stored.sha256,
        "byte_size": item.stored.byte_size,
        counts[0]: counts[1],
        "status": model.status.value,
        "truncated": model.truncated,
        "redaction_hits": model.redaction.total_hits,
        "source_statuses": dg.MetadataValue.json(statuses),
        "collect_seconds": round(item.seconds, 3),
        **({"series_table": _series_table(model)} if isinstance(model, MetricsEvidenceV1) else {}),
    }


def _series_table(evidence: MetricsEvidenceV1) -> dg.TableMetadataValue:
    """Every series (up to 50) with min/median/max/last and a sparkline of the whole window."""
    types = {"points": "int", "min": "float", "median": "float", "max": "float", "last": "float"}
    schema = dg.TableSchema(columns=[dg.TableColumn(c, types.get(c, "string")) for c in COLUMNS])
    records = [
        dg.TableRecord({k: v for k, v in row.items() if v is not None}) for row in series_rows(evidence)
    ]
    return dg.MetadataValue.table(records=records, schema=schema)


def _budget_check(item: CollectedEvidence, limit: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=EVIDENCE_KEYS[item.collector],
        check_name=BUDGET_CHECK,
        passed=item.stored.byte_size <= limit,
        metadata={"byte_size": item.stored.byte_size, "limit": limit},
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            group_name=GROUP,
            partitions_def=incident_runs,
            kinds={"s3", "cloudwatch"},
            description=f"{c} evidence",
        )
        for c, key in EVIDENCE_KEYS.items()
    ],
    check_specs=[dg.AssetCheckSpec(BUDGET_CHECK, asset=key) for key in EVIDENCE_KEYS.values()],
    can_subset=False,
    retry_policy=dg.RetryPolicy(
        max_retries=2, delay=1, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    ),
)
def incident_evidence(context: dg.AssetExecutionContext, aws: OpsRunbookAws):  # type: ignore[no-untyped-def]
    """Collect logs, metrics and Step Functions evidence concurrently; store each object in S3."""
    incident_id, run_id = ids_of(context)
    deps = aws.deps()
    event = load_request(deps, incident_id, run_id)
    mark_run(
        deps,
        incident_id,
        run_id,
        "RUNNING",
        dagster_run_id=context.run.run_id,
        event_id=event.event_id,
        attempt=attempt_of(context.run.tags),
    )
    collected = collect_all(deps, event)
    throttled = sorted(
        c
        for c, item in collected.items()
        if any(s.error_code in THROTTLING_CODES for s in item.evidence.model.sources)
    )
    if throttled and context.retry_number < THROTTLE_RETRIES:
        context.log.warning(
            f"throttled while collecting {throttled}; retrying (attempt {context.retry_number + 1})"
        )
        raise dg.RetryRequested(max_retries=THROTTLE_RETRIES, seconds_to_wait=2 ** (context.retry_number + 1))
    for collector, item in collected.items():
        yield dg.MaterializeResult(
            asset_key=EVIDENCE_KEYS[collector],
            metadata=_metadata(item),
            check_results=[_budget_check(item, deps.budgets.object_limit(collector))],
        )
