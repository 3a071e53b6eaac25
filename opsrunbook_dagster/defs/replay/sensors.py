"""Replay requests → one run per partition rebuilding ``incident_packet`` + ``action_plan``, and
each replay driven to a terminal status (MATCH, DIFF, or FAILED with the reason).

Public Dagster APIs only: per-partition ``RunRequest``s with an asset selection, a run key per
(replay, partition) so a lost tick or a second daemon cannot launch one twice, and ``RunsFilter``
on the replay tag to follow them. Replay runs share the in-flight cap with incident runs.
"""

import dagster as dg

from opsrunbook_dagster.defs.incidents.outputs_assets import action_plan, incident_packet
from opsrunbook_dagster.defs.resources import OpsRunbookAws, deployment_settings
from opsrunbook_dagster.defs.run_errors import step_errors
from opsrunbook_dagster.defs.run_queue import TAG_PREFIX, capacity
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.replay import REPLAY_TAG
from opsrunbook_dagster.replay.outcome import RunState, replay_outcome
from opsrunbook_dagster.replay.planning import plan_replays
from opsrunbook_dagster.stores.replays import ACTIVE_QUEUE, PENDING_QUEUE, ReplayRow

FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def _run_error(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """The failed steps' own errors (e.g. an evidence object that is missing), else the run's status."""
    return "; ".join(step_errors(instance, run.run_id)) or f"run {run.run_id} ended {run.status.value}"


def _runs(instance: dg.DagsterInstance, row: ReplayRow) -> dict[str, RunState]:
    """The newest run of each replayed partition, by OpsRunbook run id."""
    states: dict[str, RunState] = {}
    for run in instance.get_runs(filters=dg.RunsFilter(tags={REPLAY_TAG: row.replay_id})):  # newest first
        run_id = run.tags.get("dagster/partition", "").rpartition(".")[2]
        if run_id and run_id not in states:
            finished, ok = run.status in FINISHED, run.status == dg.DagsterRunStatus.SUCCESS
            states[run_id] = RunState(finished, ok, "" if ok or not finished else _run_error(instance, run))
    return states


def _advance(
    context: dg.SensorEvaluationContext, deps: PipelineDeps, row: ReplayRow, slots: int
) -> list[dg.RunRequest]:
    """Request the runs still missing (as slots allow); finish the replay once every run ended."""
    run_ids = row.run_ids or []
    runs = _runs(context.instance, row)
    checks = {
        (str(c["run_id"]), str(c["kind"])): bool(c.get("match"))
        for c in deps.incidents.replay_checks(row.incident_id, row.replay_id)
    }
    outcome = replay_outcome(run_ids, runs, checks)
    if outcome is not None:
        deps.replays.finish(row, outcome.status, outcome.reason)
        context.log.info(f"replay {row.replay_id}: {outcome.status} ({outcome.reason})")
        return []
    missing = [run_id for run_id in run_ids if run_id not in runs][: max(0, slots)]
    return [
        dg.RunRequest(
            run_key=f"{row.replay_id}:{run_id}",
            partition_key=f"{row.incident_id}.{run_id}",
            asset_selection=[incident_packet.key, action_plan.key],
            tags={REPLAY_TAG: row.replay_id, f"{TAG_PREFIX}incident": row.incident_id},
        )
        for run_id in missing
    ]


@dg.sensor(
    asset_selection=dg.AssetSelection.assets(incident_packet, action_plan),
    # a replay is not latency-bound; every tick costs the code server a fresh instance (see
    # docs/architecture.md, "Sensor ticks"), so this one ticks every other sensor loop
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def replay_request_sensor(context: dg.SensorEvaluationContext, aws: OpsRunbookAws) -> dg.SensorResult:
    """Take new replay requests, launch their runs within the in-flight cap, record their outcome."""
    deps = aws.deps()

    def completed(incident_id: str) -> list[str]:
        return [str(r["run_id"]) for r in deps.incidents.runs(incident_id) if r.get("status") == "SUCCEEDED"]

    replays, rejections = plan_replays(deps.replays.queued(PENDING_QUEUE), completed)
    for row, reason in rejections:
        deps.replays.finish(row, "REJECTED", reason)
    for row, run_ids in replays:
        deps.replays.take(row, run_ids)  # False: another tick took it; it is on the active queue anyway
    slots = capacity(context.instance, deployment_settings())
    requests: list[dg.RunRequest] = []
    for row in deps.replays.queued(ACTIVE_QUEUE):
        requests.extend(_advance(context, deps, row, slots - len(requests)))
    return dg.SensorResult(run_requests=requests)
