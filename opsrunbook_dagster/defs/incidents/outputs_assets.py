"""evidence_snapshot → incident_packet → action_plan → action_results.

Packet and plan are rebuilt from stored evidence; when one already exists (a replay backfill),
the rebuilt bytes are compared and the outcome recorded instead of overwriting. The checks of
snapshot, packet and plan are ``check_specs`` evaluated in the asset's own step (defs/checks.py).
"""

from typing import Any

import dagster as dg

from contracts.actions import ActionPlanV1, ActionStatus
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.render.oncall_summary import InlineChart, oncall_markdown, packet_api_links
from opsrunbook_dagster.defs.incidents import checks
from opsrunbook_dagster.defs.incidents.evidence_assets import EVIDENCE_KEYS, GROUP
from opsrunbook_dagster.defs.incidents.partitions import ids_of, incident_runs
from opsrunbook_dagster.defs.incidents.summaries import packet_markdown, plan_markdown
from opsrunbook_dagster.defs.resources import ActionSettings, OpsRunbookAws, deployment_settings
from opsrunbook_dagster.pipeline.charts import ChartsOutcome, chart_stage
from opsrunbook_dagster.pipeline.collect import load_request
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import Rebuilt, packet_stage, plan_stage, results_stage
from opsrunbook_dagster.pipeline.snapshot import build_snapshot
from opsrunbook_dagster.pipeline.status import attempt_of, mark_run
from opsrunbook_dagster.replay import REPLAY_TAG
from opsrunbook_dagster.resolution.repo_map import copy_repo_map
from opsrunbook_dagster.stores.keys import plan_key, snapshot_key

BACKFILL_TAG = "dagster/backfill"


def _record_replay(
    context: dg.AssetExecutionContext, aws: OpsRunbookAws, kind: str, outcome: Rebuilt
) -> None:
    """A rebuild over an existing object (replay backfill): keep match/diffs where the API can read them."""
    if not outcome.replayed:
        return
    tags = context.run.tags
    replay_id = tags.get(REPLAY_TAG) or tags.get(BACKFILL_TAG) or context.run.run_id
    incident_id, run_id = ids_of(context)
    aws.deps().incidents.put_replay_row(
        incident_id,
        replay_id,
        run_id,
        kind,
        {
            "match": outcome.match,
            "diffs": outcome.diffs,
            "divergent_key": outcome.divergent_key or "",
            "dagster_run_id": context.run.run_id,
        },
    )
    if not outcome.match:
        context.log.warning(f"replay of {kind} for {incident_id}.{run_id} diverged at {outcome.diffs[:5]}")


def _replay_metadata(outcome: Rebuilt) -> dict[str, Any]:
    return {
        "replayed": outcome.replayed,
        "replay_match": outcome.match,
        "replay_diffs": dg.MetadataValue.json(outcome.diffs),
        "divergent_copy": outcome.divergent_key or "",
    }


def _spec(key: str, deps: list[Any], description: str, **kwargs: Any) -> dg.AssetSpec:
    return dg.AssetSpec(
        key, group_name=GROUP, partitions_def=incident_runs, deps=deps, description=description, **kwargs
    )


def _selected(context: dg.AssetExecutionContext, key: str) -> bool:
    return dg.AssetKey(key) in context.selected_asset_keys


@dg.multi_asset(
    specs=[
        _spec(
            "evidence_snapshot",
            list(EVIDENCE_KEYS.values()),
            "Manifest binding the run's evidence objects (key, sha256, size, status), top signatures and the repository map in force.",
            kinds={"s3"},
        )
    ],
    check_specs=[checks.SNAPSHOT_HASHES],
    can_subset=True,
)
def evidence_snapshot(context: dg.AssetExecutionContext, aws: OpsRunbookAws):  # type: ignore[no-untyped-def]
    """Manifest binding the run's evidence objects (key, sha256, size, status), top signatures and
    the repository map in force (``OPSRUNBOOK_REPO_MAP``), which the packet resolves owners with."""
    incident_id, run_id = ids_of(context)
    deps = aws.deps().step_scope()
    if _selected(context, "evidence_snapshot"):
        yield _snapshot(deps, incident_id, run_id)
    if checks.wanted(context, checks.SNAPSHOT_HASHES):
        yield checks.snapshot_hashes_match(deps, incident_id, run_id)


def _snapshot(deps: PipelineDeps, incident_id: str, run_id: str) -> dg.MaterializeResult:
    repo_map = copy_repo_map(deployment_settings().repo_map)
    snapshot, stored = build_snapshot(deps, load_request(deps, incident_id, run_id), repo_map)
    deps.incidents.put_snapshot_row(
        incident_id, run_id, {"s3_key": stored.key, "sha256": stored.sha256, "items": len(snapshot.items)}
    )
    return dg.MaterializeResult(
        asset_key="evidence_snapshot",
        metadata={
            "s3_uri": dg.MetadataValue.url(stored.uri),
            "sha256": stored.sha256,
            "items": dg.MetadataValue.json(
                {i.collector: {"status": i.status.value, "sha256": i.sha256} for i in snapshot.items}
            ),
            "top_signatures": dg.MetadataValue.json([s.model_dump() for s in snapshot.top_signatures[:5]]),
        },
    )


@dg.multi_asset(
    specs=[
        _spec(
            "incident_packet",
            [evidence_snapshot],
            "Findings, hypotheses, next actions, owners and limits — every finding cites its evidence.",
            kinds={"s3"},
        )
    ],
    check_specs=[checks.PACKET_GROUNDED],
    can_subset=True,
)
def incident_packet(context: dg.AssetExecutionContext, aws: OpsRunbookAws):  # type: ignore[no-untyped-def]
    """Findings, hypotheses, next actions, owners and limits — every finding cites its evidence.
    The blocking packet_grounded check fails the step (so no plan) when a ref does not resolve."""
    incident_id, run_id = ids_of(context)
    deps = aws.deps().step_scope()
    if _selected(context, "incident_packet"):
        yield _packet(context, aws, deps, incident_id, run_id)
    if checks.wanted(context, checks.PACKET_GROUNDED):
        yield checks.packet_grounded(deps, incident_id, run_id)


def _packet(
    context: dg.AssetExecutionContext, aws: OpsRunbookAws, deps: PipelineDeps, incident_id: str, run_id: str
) -> dg.MaterializeResult:
    packet, outcome = packet_stage(deps, incident_id, run_id)
    _record_replay(context, aws, "packet", outcome)
    charts = chart_stage(deps, packet)
    if charts.replayed and not charts.match:
        context.log.warning(f"replay of charts for {incident_id}.{run_id} diverged: {charts.divergent_keys}")
    top = packet.findings[0] if packet.findings else None
    deps.incidents.put_packet_row(
        incident_id,
        run_id,
        {
            "s3_key": outcome.key,
            "sha256": outcome.sha256,
            "findings": len(packet.findings),
            "severity": packet.severity.value,
            "top_finding": top.title if top else "",
        },
    )
    return dg.MaterializeResult(
        asset_key="incident_packet",
        metadata={
            "s3_uri": dg.MetadataValue.url(f"s3://{deps.names.evidence_bucket}/{outcome.key}"),
            "sha256": outcome.sha256,
            "findings": len(packet.findings),
            "severity": packet.severity.value,
            "summary": dg.MetadataValue.md(_oncall_summary(packet, charts)),
            "findings_table": dg.MetadataValue.md(packet_markdown(packet)),
            "snapshot_key": snapshot_key(incident_id, run_id),
            **_replay_metadata(outcome),
            **_chart_metadata(charts),
        },
    )


def _oncall_summary(packet: IncidentPacketV1, charts: ChartsOutcome) -> str:
    links = packet_api_links(deployment_settings().api_url, packet, [c.finding_id for c in charts.charts])
    inline = [InlineChart(c.finding_id, c.title, c.png) for c in charts.charts]
    return oncall_markdown(packet, inline, links)


def _chart_metadata(charts: ChartsOutcome) -> dict[str, Any]:
    return {
        "charts": dg.MetadataValue.json([c.summary() for c in charts.charts]),
        "charts_index": charts.index_key,
        "charts_replay_match": charts.match,
    }


@dg.multi_asset(
    specs=[
        _spec(
            "action_plan",
            [incident_packet],
            "Deterministic plan: Jira ticket, Teams card, GitHub PR (confidence-gated), with flags.",
            kinds={"s3"},
        )
    ],
    check_specs=[checks.PLAN_DETERMINISTIC],
    can_subset=True,
)
def action_plan(context: dg.AssetExecutionContext, aws: OpsRunbookAws, actions: ActionSettings):  # type: ignore[no-untyped-def]
    """Deterministic plan: Jira ticket, Teams card, GitHub PR (confidence-gated), with flags."""
    incident_id, run_id = ids_of(context)
    deps = aws.deps().step_scope()
    if _selected(context, "action_plan"):
        yield _plan(context, aws, deps, actions, incident_id, run_id)
    if checks.wanted(context, checks.PLAN_DETERMINISTIC):
        yield checks.plan_deterministic(deps, incident_id, run_id)


def _plan(
    context: dg.AssetExecutionContext,
    aws: OpsRunbookAws,
    deps: PipelineDeps,
    actions: ActionSettings,
    incident_id: str,
    run_id: str,
) -> dg.MaterializeResult:
    plan, outcome = plan_stage(deps, incident_id, run_id, actions.flags())
    _record_replay(context, aws, "plan", outcome)
    deps.incidents.put_plan_row(
        incident_id, run_id, {"s3_key": outcome.key, "sha256": outcome.sha256, "actions": len(plan.actions)}
    )
    return dg.MaterializeResult(
        asset_key="action_plan",
        metadata={
            "s3_uri": dg.MetadataValue.url(f"s3://{deps.names.evidence_bucket}/{outcome.key}"),
            "plan_sha256": plan.plan_sha256 or "",
            "summary": dg.MetadataValue.md(plan_markdown(plan)),
            **_replay_metadata(outcome),
        },
    )


@dg.asset(
    group_name=GROUP, partitions_def=incident_runs, deps=[action_plan], kinds={"jira", "teams", "github"}
)
def action_results(
    context: dg.AssetExecutionContext, aws: OpsRunbookAws, actions: ActionSettings
) -> dg.MaterializeResult:
    """Execute the plan exactly once per action (dry-run by default; the kill switch is read again
    now) and record every result. Secrets never reach this metadata."""
    incident_id, run_id = ids_of(context)
    deps = aws.deps().step_scope()
    results, stored = results_stage(
        deps,
        incident_id,
        run_id,
        runtime=actions.runtime(),
        flags_now=actions.flags(),
        run_link=deployment_settings().dagster_run_url(context.run.run_id),
    )
    failed = [r for r in results if r.status == ActionStatus.failed]
    if failed:
        # Recorded (and appended) above; failing the step makes the job's retry policy try the
        # actions again after a delay: the ledger keeps them exactly once, a vendor outage passes.
        raise dg.Failure(
            description="; ".join(f"{r.action_type.value}: {r.reason}" for r in failed)[:1000],
            metadata={"results": dg.MetadataValue.url(stored.uri)},
        )
    if not context.run.tags.get(REPLAY_TAG) and not context.run.tags.get(BACKFILL_TAG):
        event_id = context.run.tags.get("opsrunbook/event_id")
        attempt = attempt_of(context.run.tags)
        mark_run(
            deps,
            incident_id,
            run_id,
            "SUCCEEDED",
            dagster_run_id=context.run.run_id,
            event_id=event_id,
            attempt=attempt,
        )
    plan = deps.objects.get_model(plan_key(incident_id, run_id), ActionPlanV1)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    return dg.MaterializeResult(
        metadata={
            "s3_uri": dg.MetadataValue.url(stored.uri),
            "sha256": stored.sha256,
            "statuses": dg.MetadataValue.json(counts),
            "summary": dg.MetadataValue.md(plan_markdown(plan, results)),
        }
    )
