"""Packet, plan and results stages: rebuild from what is stored, compare, store."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from contracts.actions import ActionDecision, ActionFlags, ActionPlanV1, ActionResultV1, ActionStatus
from contracts.canonical import canonical_json, sha256_hex
from contracts.evidence import EVIDENCE_MODELS
from contracts.packet import IncidentPacketV1
from contracts.snapshot import EvidenceSnapshotV1
from opsrunbook_dagster.actions.executor import execute_plan
from opsrunbook_dagster.actions.render.http_bodies import ChartNote, RenderContext
from opsrunbook_dagster.analysis.model import EvidenceHandles
from opsrunbook_dagster.analysis.packet_builder import build_packet
from opsrunbook_dagster.charts.metric_charts import Chart
from opsrunbook_dagster.pipeline.actions import ActionsRuntime, evidence_lines, ledger, live_runner
from opsrunbook_dagster.pipeline.charts import stored_charts
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.planning.planner import build_plan
from opsrunbook_dagster.replay.diffing import json_diffs
from opsrunbook_dagster.stores.keys import packet_key, plan_key, replay_key, results_key, snapshot_key
from opsrunbook_dagster.stores.objects import ObjectMissing, StoredObject


@dataclass(frozen=True)
class Rebuilt:
    """Outcome of (re)building a deterministic object: stored fresh, reproduced, or diverged."""

    key: str
    sha256: str
    body: bytes
    replayed: bool
    match: bool
    diffs: list[str] = field(default_factory=list)
    divergent_key: str | None = None


def _store_or_compare(
    deps: PipelineDeps, kind: str, key: str, body: bytes, incident_id: str, run_id: str
) -> Rebuilt:
    digest = sha256_hex(body)
    # written once: the conditional PUT stores it, or leaves what a first build (a replay's
    # original, a retried step, another writer) stored, to compare with
    if deps.objects.put_bytes(key, body).created:
        return Rebuilt(key=key, sha256=digest, body=body, replayed=False, match=True)
    existing = deps.objects.get_bytes(key)
    if existing == body:
        return Rebuilt(key=key, sha256=digest, body=body, replayed=True, match=True)
    divergent = replay_key(kind, incident_id, run_id, digest)
    deps.objects.put_bytes(divergent, body)
    diffs = json_diffs(json.loads(existing), json.loads(body))
    return Rebuilt(
        key=key,
        sha256=sha256_hex(existing),
        body=existing,
        replayed=True,
        match=False,
        diffs=diffs,
        divergent_key=divergent,
    )


def load_handles(deps: PipelineDeps, incident_id: str, run_id: str) -> EvidenceHandles:
    key = snapshot_key(incident_id, run_id)
    body = deps.objects.get_bytes(key)
    snapshot = EvidenceSnapshotV1.model_validate_json(body)
    loaded = {
        item.collector: deps.objects.get_model(
            item.key, EVIDENCE_MODELS[item.collector], expected_sha256=item.sha256
        )  # type: ignore[type-var]
        for item in snapshot.items
    }
    return EvidenceHandles(snapshot=snapshot, snapshot_key=key, snapshot_sha256=sha256_hex(body), **loaded)  # type: ignore[arg-type]


def packet_stage(deps: PipelineDeps, incident_id: str, run_id: str) -> tuple[IncidentPacketV1, Rebuilt]:
    packet = build_packet(load_handles(deps, incident_id, run_id))
    outcome = _store_or_compare(
        deps, "packets", packet_key(incident_id, run_id), canonical_json(packet), incident_id, run_id
    )
    return packet, outcome


def load_packet(deps: PipelineDeps, incident_id: str, run_id: str) -> IncidentPacketV1:
    return deps.objects.get_model(packet_key(incident_id, run_id), IncidentPacketV1)


def plan_stage(
    deps: PipelineDeps, incident_id: str, run_id: str, flags: ActionFlags
) -> tuple[ActionPlanV1, Rebuilt]:
    """Build the plan; a replay (plan already stored) rebuilds with the stored plan's flags."""
    try:
        flags = deps.objects.get_model(plan_key(incident_id, run_id), ActionPlanV1).flags
    except ObjectMissing:
        pass
    plan = build_plan(load_packet(deps, incident_id, run_id), flags)
    outcome = _store_or_compare(
        deps, "plans", plan_key(incident_id, run_id), canonical_json(plan), incident_id, run_id
    )
    return plan, outcome


def results_stage(
    deps: PipelineDeps,
    incident_id: str,
    run_id: str,
    *,
    runtime: ActionsRuntime | None = None,
    flags_now: ActionFlags | None = None,
    run_link: str | None = None,
) -> tuple[list[ActionResultV1], StoredObject]:
    """Execute the stored plan. Live clients are built only when something will really be sent
    (plan and current flags allow it); every outcome lands in ``ACTION#`` rows and S3.
    ``run_link``: the Dagster run's URL, linked from what the actions send."""
    packet = load_packet(deps, incident_id, run_id)
    plan = deps.objects.get_model(plan_key(incident_id, run_id), ActionPlanV1)
    charts = stored_charts(deps, packet)
    notes = tuple(ChartNote(c.filename, c.title, c.sha256, len(c.png)) for c in charts)
    enabled = plan.flags.automation_enabled and (flags_now is None or flags_now.automation_enabled)
    dry = plan.flags.dry_run or (flags_now is not None and flags_now.dry_run)
    links = {"Dagster run": run_link} if run_link else {}
    runner, render = None, RenderContext(links=links)
    if enabled and not dry and any(a.decision == ActionDecision.execute for a in plan.actions):
        runner, render = live_runner(deps, runtime or ActionsRuntime(), links)
    render = replace(render, charts=notes)
    results = execute_plan(
        packet,
        plan,
        runner,
        render=render,
        automation_enabled=enabled,
        dry_run=dry,
        evidence_lines=evidence_lines(deps, packet),
        charts=[Chart(c.finding_id, c.title, c.png) for c in charts],
    )
    # appended: a second materialization of the partition keeps the first one's results
    stored = deps.objects.append_json(
        results_key(incident_id, run_id), results, lambda n: results_key(incident_id, run_id, attempt=n)
    )
    book, now = ledger(deps), datetime.now(UTC)
    planned_skips = {a.action_id for a in plan.actions if a.decision == ActionDecision.skip}
    for result in results:
        if (
            result.status in (ActionStatus.dry_run, ActionStatus.disabled)
            or result.action_id in planned_skips
        ):
            book.note(
                incident_id,
                result.action_id,
                result.status.value.upper(),
                now,
                run_id=run_id,
                action_type=result.action_type.value,
                idempotency_key=result.idempotency_key,
                reason=result.reason,
            )
    book.set_latest(
        incident_id,
        run_id,
        now,
        results_key=stored.key,
        plan_key=plan_key(incident_id, run_id),
        statuses={r.action_id: r.status.value for r in results},
    )
    return results, stored
