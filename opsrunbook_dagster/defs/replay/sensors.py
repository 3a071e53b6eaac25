"""Replay requests → one run per partition rebuilding ``incident_packet`` + ``action_plan``, and
each replay driven to a terminal status (MATCH, DIFF, or FAILED with the reason).

Through the request queue every sensor shares (``defs/run_queue.py``): the in-flight cap, and
``tick_result`` turning the replay's launches (``replay.planning.replay_launches``: a run key per
(replay, partition), so a lost tick or a second daemon cannot launch one twice) into per-partition
``RunRequest``s with an asset selection. Public Dagster APIs only; ``RunsFilter`` on the replay tag
follows the runs.
"""

import dagster as dg

from contracts.ids import parse_partition_key
from opsrunbook_dagster.defs.incidents.outputs_assets import action_plan, incident_packet
from opsrunbook_dagster.defs.resources import OpsRunbookAws, deployment_settings
from opsrunbook_dagster.defs.run_errors import step_errors
from opsrunbook_dagster.defs.run_queue import capacity, tick_result
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.replay import REPLAY_TAG
from opsrunbook_dagster.replay.outcome import RunState, replay_outcome
from opsrunbook_dagster.replay.planning import plan_replays, replay_launches
from opsrunbook_dagster.stores.replays import ACTIVE_QUEUE, PENDING_QUEUE, ReplayRow
from opsrunbook_dagster.stores.request_queue import Launch

FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def _run_error(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """The failed steps' own errors (e.g. an evidence object that is missing), else the run's status."""
    return "; ".join(step_errors(instance, run.run_id)) or f"run {run.run_id} ended {run.status.value}"


def _runs(instance: dg.DagsterInstance, row: ReplayRow) -> dict[str, RunState]:
    """The newest run of each replayed partition, by OpsRunbook run id."""
    states: dict[str, RunState] = {}
    for run in instance.get_runs(filters=dg.RunsFilter(tags={REPLAY_TAG: row.replay_id})):  # newest first
        partition = run.tags.get("dagster/partition")
        if not partition:
            continue
        _, run_id = parse_partition_key(partition)
        if run_id not in states:
            finished, ok = run.status in FINISHED, run.status == dg.DagsterRunStatus.SUCCESS
            states[run_id] = RunState(finished, ok, "" if ok or not finished else _run_error(instance, run))
    return states


def _advance(
    context: dg.SensorEvaluationContext, deps: PipelineDeps, row: ReplayRow, slots: int
) -> list[Launch]:
    """The runs still missing (as slots allow); the replay finished once every run ended."""
    runs = _runs(context.instance, row)
    checks = {
        (str(c["run_id"]), str(c["kind"])): bool(c.get("match"))
        for c in deps.incidents.replay_checks(row.incident_id, row.replay_id)
    }
    outcome = replay_outcome(row.run_ids or [], runs, checks)
    if outcome is not None:
        deps.replays.finish(row, outcome.status, outcome.reason)
        context.log.info(f"replay {row.replay_id}: {outcome.status} ({outcome.reason})")
        return []
    return replay_launches(row, runs, slots)


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
    launches: list[Launch] = []
    for row in deps.replays.queued(ACTIVE_QUEUE):
        launches.extend(_advance(context, deps, row, slots - len(launches)))
    return tick_result(launches, asset_selection=[incident_packet.key, action_plan.key])
