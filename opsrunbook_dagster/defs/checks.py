"""Asset checks: stored objects re-hashed, packets grounded (blocking), plans deterministic."""

import dagster as dg

from contracts.actions import ActionPlanV1
from contracts.canonical import canonical_json, sha256_hex
from contracts.snapshot import EvidenceSnapshotV1
from opsrunbook_dagster.analysis.grounding import grounding_problems
from opsrunbook_dagster.defs.outputs_assets import action_plan, evidence_snapshot, incident_packet
from opsrunbook_dagster.defs.partitions import ids_of
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.pipeline.outputs import load_packet
from opsrunbook_dagster.planning.planner import build_plan
from opsrunbook_dagster.stores.keys import plan_key, snapshot_key
from opsrunbook_dagster.stores.objects import ObjectMissing


@dg.asset_check(asset=evidence_snapshot, description="Re-hash every stored evidence object.")
def snapshot_hashes_match(context: dg.AssetCheckExecutionContext, aws: OpsRunbookAws) -> dg.AssetCheckResult:
    incident_id, run_id = ids_of(context)
    objects = aws.deps().objects
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
        passed=not problems,
        metadata={"objects": len(snapshot.items), "problems": dg.MetadataValue.json(problems)},
    )


@dg.asset_check(
    asset=incident_packet,
    blocking=True,
    description="Every evidence ref resolves: object exists, sha256 matches, JSON pointer resolves.",
)
def packet_grounded(context: dg.AssetCheckExecutionContext, aws: OpsRunbookAws) -> dg.AssetCheckResult:
    incident_id, run_id = ids_of(context)
    objects = aws.deps().objects
    packet = load_packet(aws.deps(), incident_id, run_id)

    def read(key: str) -> bytes:
        try:
            return objects.get_bytes(key)
        except ObjectMissing as exc:
            raise LookupError(str(exc)) from exc

    problems = grounding_problems(packet, read)
    refs = sum(len(f.evidence_refs) for f in packet.findings)
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "findings": len(packet.findings),
            "evidence_refs": refs,
            "problems": dg.MetadataValue.json(problems[:20]),
        },
    )


@dg.asset_check(
    asset=action_plan,
    description="Rebuild the plan from the stored packet; hashes must match.",
)
def plan_deterministic(context: dg.AssetCheckExecutionContext, aws: OpsRunbookAws) -> dg.AssetCheckResult:
    incident_id, run_id = ids_of(context)
    deps = aws.deps()
    stored_body = deps.objects.get_bytes(plan_key(incident_id, run_id))
    stored = ActionPlanV1.model_validate_json(stored_body)
    rebuilt = build_plan(load_packet(deps, incident_id, run_id), stored.flags)
    rebuilt_body = canonical_json(rebuilt)
    return dg.AssetCheckResult(
        passed=rebuilt_body == stored_body,
        metadata={"stored_sha256": sha256_hex(stored_body), "rebuilt_sha256": sha256_hex(rebuilt_body)},
    )
