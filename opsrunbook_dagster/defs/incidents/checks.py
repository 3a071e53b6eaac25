"""Asset checks: stored objects re-hashed, packets grounded (blocking), plans deterministic.

Each check is a ``check_spec`` of the asset it checks and is evaluated in that asset's step, right
after the materialization (one step per asset instead of two: a step costs its run a dozen events and
the framework's per-step setup). The assets can be subset, so a check still runs alone on what is
stored (select just the check in the UI, or ``AssetSelection.checks``).
"""

import dagster as dg

from contracts.actions import ActionPlanV1
from contracts.canonical import canonical_json, sha256_hex
from contracts.snapshot import EvidenceSnapshotV1
from opsrunbook_dagster.analysis.grounding import grounding_problems
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import load_packet
from opsrunbook_dagster.planning.planner import build_plan
from opsrunbook_dagster.stores.keys import plan_key, snapshot_key
from opsrunbook_dagster.stores.objects import ObjectMissing

SNAPSHOT_HASHES = dg.AssetCheckSpec(
    "snapshot_hashes_match", asset="evidence_snapshot", description="Re-hash every stored evidence object."
)
PACKET_GROUNDED = dg.AssetCheckSpec(
    "packet_grounded",
    asset="incident_packet",
    blocking=True,
    description="Every evidence ref resolves: object exists, sha256 matches, JSON pointer resolves.",
)
PLAN_DETERMINISTIC = dg.AssetCheckSpec(
    "plan_deterministic",
    asset="action_plan",
    description="Rebuild the plan from the stored packet; hashes must match.",
)


def wanted(context: dg.AssetExecutionContext, spec: dg.AssetCheckSpec) -> bool:
    return spec.key in context.selected_asset_check_keys


def snapshot_hashes_match(deps: PipelineDeps, incident_id: str, run_id: str) -> dg.AssetCheckResult:
    objects = deps.objects
    snapshot = objects.get_model(snapshot_key(incident_id, run_id), EvidenceSnapshotV1)
    problems = []
    for item in snapshot.items:
        try:
            actual = sha256_hex(objects.get_bytes(item.key))
        except ObjectMissing:
            problems.append(f"{item.key}: missing")
            continue
        if actual != item.sha256:
            problems.append(f"{item.key}: sha256 {actual[:12]}… != manifest {item.sha256[:12]}…")
    return dg.AssetCheckResult(
        asset_key=SNAPSHOT_HASHES.asset_key,
        check_name=SNAPSHOT_HASHES.name,
        passed=not problems,
        metadata={"objects": len(snapshot.items), "problems": dg.MetadataValue.json(problems)},
    )


def packet_grounded(deps: PipelineDeps, incident_id: str, run_id: str) -> dg.AssetCheckResult:
    objects = deps.objects
    packet = load_packet(deps, incident_id, run_id)

    def read(key: str) -> bytes:
        try:
            return objects.get_bytes(key)
        except ObjectMissing as exc:
            raise LookupError(str(exc)) from exc

    problems = grounding_problems(packet, read)
    refs = sum(len(f.evidence_refs) for f in packet.findings)
    return dg.AssetCheckResult(
        asset_key=PACKET_GROUNDED.asset_key,
        check_name=PACKET_GROUNDED.name,
        passed=not problems,
        metadata={
            "findings": len(packet.findings),
            "evidence_refs": refs,
            "problems": dg.MetadataValue.json(problems[:20]),
        },
    )


def plan_deterministic(deps: PipelineDeps, incident_id: str, run_id: str) -> dg.AssetCheckResult:
    stored_body = deps.objects.get_bytes(plan_key(incident_id, run_id))
    stored = ActionPlanV1.model_validate_json(stored_body)
    rebuilt = build_plan(load_packet(deps, incident_id, run_id), stored.flags)
    rebuilt_body = canonical_json(rebuilt)
    return dg.AssetCheckResult(
        asset_key=PLAN_DETERMINISTIC.asset_key,
        check_name=PLAN_DETERMINISTIC.name,
        passed=rebuilt_body == stored_body,
        metadata={"stored_sha256": sha256_hex(stored_body), "rebuilt_sha256": sha256_hex(rebuilt_body)},
    )
