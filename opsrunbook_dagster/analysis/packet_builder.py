"""Assemble the incident packet from stored evidence (pure and deterministic)."""

from __future__ import annotations

from contracts.base import Severity
from contracts.packet import IncidentPacketV1, ModelTrace, SnapshotRef
from opsrunbook_dagster.analysis import ANALYZER_VERSION
from opsrunbook_dagster.analysis.cold_starts import cold_start_drafts
from opsrunbook_dagster.analysis.correlate import correlate, rank
from opsrunbook_dagster.analysis.log_findings import log_drafts
from opsrunbook_dagster.analysis.metric_findings import metric_drafts
from opsrunbook_dagster.analysis.model import EvidenceHandles
from opsrunbook_dagster.analysis.narrative import hypotheses, limits, next_actions, suspected_owners
from opsrunbook_dagster.analysis.oom_corroboration import corroborate_oom
from opsrunbook_dagster.analysis.stepfn_findings import stepfn_drafts
from opsrunbook_dagster.analysis.throttle_impact import has_impact, hold_harmless_throttling

MAX_FINDINGS = 25
ACTIONABLE = 0.5


def build_packet(handles: EvidenceHandles) -> IncidentPacketV1:
    snapshot = handles.snapshot
    drafts = (
        stepfn_drafts(handles) + log_drafts(handles) + cold_start_drafts(handles) + metric_drafts(handles)
    )
    corroborate_oom(drafts, handles)
    impact = has_impact(drafts)  # before correlation folds the errors into their causes
    drafts = correlate(drafts, handles)
    hold_harmless_throttling(drafts, impact)
    drafts = rank(drafts)
    kept = drafts[:MAX_FINDINGS]
    # ids never depend on links, so each finding's id is known before the links that name it
    ids = {id(d): d.to_finding().id for d in kept}
    findings = [d.to_finding(ids) for d in kept]
    actionable = [f for f in findings if f.confidence > ACTIONABLE]
    severity = max(
        (f.severity for f in actionable),
        key=lambda s: ["info", "warning", "critical"].index(s.value),
        default=Severity.info,
    )
    if actionable:
        summary = f"{len(actionable)} actionable finding(s); most likely cause: {actionable[0].title}"
    else:
        summary = "No anomaly found in the examined evidence."
    evidence = [e for e in (handles.logs, handles.metrics, handles.stepfn) if e is not None]
    not_examined = [
        (c, f"no {c} evidence was collected (no matching hints)")
        for c, e in (("logs", handles.logs), ("metrics", handles.metrics), ("stepfn", handles.stepfn))
        if e is None
    ]
    packet = IncidentPacketV1(
        incident_id=snapshot.incident_id,
        run_id=snapshot.run_id,
        service=snapshot.service,
        environment=snapshot.environment,
        severity=severity,
        summary=summary,
        window=snapshot.window,
        findings=findings,
        hypotheses=hypotheses(actionable),
        next_actions=next_actions(
            actionable, int(snapshot.window.start.timestamp()), int(snapshot.window.end.timestamp())
        ),
        suspected_owners=suspected_owners(snapshot.service, actionable, snapshot.repo_map),
        limits=limits(evidence, not_examined),
        snapshot_ref=SnapshotRef(
            bucket=_bucket(handles), key=handles.snapshot_key, sha256=handles.snapshot_sha256
        ),
        model_trace=ModelTrace(analyzer_version=ANALYZER_VERSION),
    )
    return packet.with_hashes()


def _bucket(handles: EvidenceHandles) -> str:
    return handles.snapshot.items[0].bucket if handles.snapshot.items else "unknown"
