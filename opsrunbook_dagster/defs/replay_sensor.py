"""Replay requests (rows of kind ``replay``) → a Dagster asset backfill of incident_packet + action_plan."""

import dagster as dg

# AssetGraphSubset (and AssetKeyPartitionKey) is how a sensor asks the daemon for a *backfill* (RunRequest.for_asset_graph_subset);
# Dagster keeps the class out of its top-level API, so it is imported from its module here, in this
# one adapter only.
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.definitions.events import AssetKeyPartitionKey

from opsrunbook_dagster.defs.outputs_assets import action_plan, incident_packet
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.pipeline.intake import plan_replays

REPLAY_TAG = "opsrunbook/replay_id"
REPLAYED_ASSETS = [incident_packet.key, action_plan.key]


@dg.sensor(
    asset_selection=dg.AssetSelection.assets(incident_packet, action_plan),
    minimum_interval_seconds=1,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def replay_request_sensor(context: dg.SensorEvaluationContext, aws: OpsRunbookAws) -> dg.SensorResult:
    """Each replay request becomes one backfill over the incident's runs, tagged with its replay id."""
    deps = aws.deps()

    def completed(incident_id: str) -> list[str]:
        return [
            str(r["run_id"])
            for r in deps.incidents.rows(incident_id, "RUN#")
            if r.get("status") == "SUCCEEDED"
        ]

    replays, rejections = plan_replays(deps.requests.pending(limit=50), completed)
    for pk, reason in rejections:
        deps.requests.transition(
            pk, from_status="REQUESTED", to_status="REJECTED", dequeue=True, reason=reason
        )
    asset_graph = context.repository_def.asset_graph  # type: ignore[union-attr]
    requests = []
    for replay in replays:
        if not deps.requests.transition(
            replay.row_pk, from_status="REQUESTED", to_status="SCHEDULED", dequeue=True
        ):
            continue  # another tick took it
        partitions = {
            AssetKeyPartitionKey(key, f"{replay.incident_id}.{run_id}")
            for key in REPLAYED_ASSETS
            for run_id in replay.run_ids
        }
        subset = AssetGraphSubset.from_asset_partition_set(partitions, asset_graph)
        requests.append(dg.RunRequest.for_asset_graph_subset(subset, tags={REPLAY_TAG: replay.replay_id}))
    return dg.SensorResult(run_requests=requests)
