"""Sensors: the incident-requests table → partitions + runs (exactly once), and run status write-back."""

import os

import dagster as dg

from opsrunbook_dagster.defs.jobs import incident_job
from opsrunbook_dagster.defs.partitions import incident_runs
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.pipeline.intake import plan_tick
from opsrunbook_dagster.pipeline.status import mark_run
from opsrunbook_dagster.stores.requests_table import RequestStore

BATCH = 100
#: Runs of incident_job allowed in flight at once (each is a process); the rest wait in the table.
MAX_IN_FLIGHT_ENV = "OPSRUNBOOK_MAX_CONCURRENT_RUNS"
DEFAULT_MAX_IN_FLIGHT = 6
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
RUN_KEY_TAG = "dagster/run_key"
TAG_PREFIX = "opsrunbook/"
#: Every run of one incident carries this tag (= the incident id): the key of the deployment's
#: ``run_coordinator.config.tag_concurrency_limits`` (one run per incident at a time). The
#: per-incident claims in the action ledger keep side effects exactly once even without it.
INCIDENT_TAG = "opsrunbook/incident"


def _capacity(instance: dg.DagsterInstance) -> int:
    limit = int(os.environ.get(MAX_IN_FLIGHT_ENV) or DEFAULT_MAX_IN_FLIGHT)
    in_flight = instance.get_runs_count(filters=dg.RunsFilter(job_name=incident_job.name, statuses=IN_FLIGHT))
    return max(0, limit - in_flight)


def _run_exists(instance: dg.DagsterInstance, run_key: str) -> bool:
    return bool(instance.get_run_ids(filters=dg.RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1))


@dg.sensor(job=incident_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def incident_request_sensor(context: dg.SensorEvaluationContext, aws: OpsRunbookAws) -> dg.SensorResult:
    """New request rows become a dynamic partition and one run (run_key = partition key).

    Rows stay in the pending index until their run exists, so a lost tick re-requests them and
    Dagster's run-key de-duplication keeps it to one run; invalid rows are REJECTED with the reason.
    """
    store: RequestStore = aws.deps().requests
    plan = plan_tick(store.pending(limit=BATCH))
    for pk, reason in plan.rejections:
        store.transition(pk, from_status=None, to_status="REJECTED", dequeue=True, reason=reason)
        context.log.warning(f"rejected {pk}: {reason}")
    requests: list[dg.RunRequest] = []
    capacity = _capacity(context.instance)
    for launch in plan.launches:
        if launch.resumed and _run_exists(context.instance, launch.partition_key):
            store.transition(launch.row_pk, from_status="SCHEDULED", to_status="SCHEDULED", dequeue=True)
            continue
        if len(requests) >= capacity:
            continue  # backpressure: stays pending (and in order) until runs finish
        if not launch.resumed:
            store.transition(launch.row_pk, from_status="REQUESTED", to_status="SCHEDULED", dequeue=False)
        requests.append(
            dg.RunRequest(
                run_key=launch.partition_key,
                partition_key=launch.partition_key,
                tags={
                    INCIDENT_TAG: launch.incident_id,
                    f"{TAG_PREFIX}incident_id": launch.incident_id,
                    f"{TAG_PREFIX}run_id": launch.run_id,
                    f"{TAG_PREFIX}event_id": launch.event_id,
                },
            )
        )
    keys = sorted({r.partition_key for r in requests if r.partition_key})
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[incident_runs.build_add_request(keys)] if keys else [],
    )


def _write_back(context: dg.RunStatusSensorContext, aws: OpsRunbookAws, status: str) -> None:
    tags = context.dagster_run.tags
    incident_id, run_id = tags.get(f"{TAG_PREFIX}incident_id"), tags.get(f"{TAG_PREFIX}run_id")
    if incident_id and run_id:
        mark_run(
            aws.deps(),
            incident_id,
            run_id,
            status,
            dagster_run_id=context.dagster_run.run_id,
            event_id=tags.get(f"{TAG_PREFIX}event_id"),
        )


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.STARTED,
    monitored_jobs=[incident_job],
    minimum_interval_seconds=1,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def incident_run_started(context: dg.RunStatusSensorContext, aws: OpsRunbookAws) -> None:
    """Mark the incident run RUNNING (and take its request row out of the pending index)."""
    _write_back(context, aws, "RUNNING")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[incident_job],
    minimum_interval_seconds=1,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def incident_run_succeeded(context: dg.RunStatusSensorContext, aws: OpsRunbookAws) -> None:
    """Mark the incident run SUCCEEDED."""
    _write_back(context, aws, "SUCCEEDED")


@dg.run_failure_sensor(
    monitored_jobs=[incident_job], minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING
)
def incident_run_failed(context: dg.RunFailureSensorContext, aws: OpsRunbookAws) -> None:
    """Mark the incident run FAILED."""
    _write_back(context, aws, "FAILED")
