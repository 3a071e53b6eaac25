"""Sensors: the incident-requests table → partitions + runs (exactly once), and run status write-back."""

from datetime import UTC, datetime

import dagster as dg

from contracts.canonical import format_datetime
from opsrunbook_dagster.aws.metrics import MetricPublisher, oldest_pending_datum
from opsrunbook_dagster.defs.jobs import incident_job
from opsrunbook_dagster.defs.partitions import incident_runs
from opsrunbook_dagster.defs.resources import OpsRunbookAws, deployment_settings
from opsrunbook_dagster.pipeline.intake import Launch, oldest_pending_age_seconds, plan_tick
from opsrunbook_dagster.pipeline.status import reject_request
from opsrunbook_dagster.settings import OpsRunbookSettings
from opsrunbook_dagster.stores.heartbeats import HeartbeatStore
from opsrunbook_dagster.stores.requests_table import RequestRow, RequestStore

BATCH = 100
#: Runs in flight are capped by ``settings.max_concurrent_runs`` (OPSRUNBOOK_MAX_CONCURRENT_RUNS,
#: default 6; each is a process); the rest wait in the table.
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
RUN_KEY_TAG = "dagster/run_key"
#: Name of the request sensor's heartbeat row, and how often it is written.
SENSOR_HEARTBEAT = "incident_request_sensor"
HEARTBEAT_SECONDS = 10.0
TAG_PREFIX = "opsrunbook/"
#: Every run of one incident carries this tag (= the incident id): the key of the deployment's
#: ``run_coordinator.config.tag_concurrency_limits`` (one run per incident at a time). The
#: per-incident claims in the action ledger keep side effects exactly once even without it.
INCIDENT_TAG = "opsrunbook/incident"


def run_policy_tags(settings: OpsRunbookSettings) -> dict[str, str]:
    """Retry and runtime tags for an incident run (settings read at tick time, never at import):
    automatic retries of a run whose worker died or whose step failed (steps are idempotent;
    needs ``run_retries: enabled`` in the instance), and the runtime after which run monitoring
    fails a hung run so it cannot hold a slot forever."""
    return {
        "dagster/max_retries": str(max(0, settings.run_max_retries)),
        "dagster/retry_on_asset_or_op_failure": "true",
        "dagster/max_runtime": str(max(60, settings.run_max_runtime_seconds)),
    }


def capacity(instance: dg.DagsterInstance, settings: OpsRunbookSettings) -> int:
    """Runs that may start now: the in-flight cap less every run in flight (incident, replay and
    PR-review runs all count; each is a process)."""
    limit = settings.max_concurrent_runs
    in_flight = instance.get_runs_count(filters=dg.RunsFilter(statuses=IN_FLIGHT))
    return max(0, limit - in_flight)


def _run_exists(instance: dg.DagsterInstance, run_key: str) -> bool:
    return bool(instance.get_run_ids(filters=dg.RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1))


def _beat(
    heartbeats: HeartbeatStore, cursor: str | None, rows: list[RequestRow], metrics: MetricPublisher | None
) -> str | None:
    """Record that the sensor is ticking (at most every HEARTBEAT_SECONDS; the cursor holds the last
    beat), with the age of the oldest request still waiting, for readiness and alarms (and, when
    deployed, as the CloudWatch metric the alarms watch)."""
    now = datetime.now(UTC)
    if cursor and now.timestamp() - float(cursor) < HEARTBEAT_SECONDS:
        return cursor
    oldest = oldest_pending_age_seconds(rows, now)
    heartbeats.beat(SENSOR_HEARTBEAT, now, pending=len(rows), oldest_pending_age_s=round(oldest))
    if metrics is not None:
        metrics.publish(oldest_pending_datum(oldest, now, heartbeats.table))
    return str(now.timestamp())


def _claim(store: RequestStore, launch: Launch, wait: float) -> bool:
    """Take the row for this tick: REQUESTED → SCHEDULED, or, for a row already SCHEDULED whose run
    never appeared (a lost tick), re-take it once its schedule is ``wait`` seconds old. Both
    are conditional writes, so of two daemons ticking at once exactly one requests the run."""
    now = datetime.now(UTC)
    if not launch.resumed:
        return store.transition(
            launch.row_pk,
            from_status="REQUESTED",
            to_status="SCHEDULED",
            dequeue=False,
            scheduled_at=format_datetime(now),
        )
    return store.reclaim(launch.row_pk, launch.scheduled_at, now, stale_after_seconds=wait)


@dg.sensor(job=incident_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def incident_request_sensor(context: dg.SensorEvaluationContext, aws: OpsRunbookAws) -> dg.SensorResult:
    """New request rows become a dynamic partition and one run (run_key = partition key).

    Rows stay in the pending index until their run exists, so a lost tick re-requests them; each
    request is claimed by a conditional write first and Dagster de-duplicates run keys, so two
    daemons never launch one row twice. Invalid rows are REJECTED with the reason.
    """
    deps, settings = aws.deps(), deployment_settings()
    store: RequestStore = deps.requests
    rows = store.pending(limit=BATCH)
    metrics = MetricPublisher.create(
        settings.metrics_namespace, lambda: deps.client("cloudwatch", max_attempts=1, read_timeout=2.0)
    )
    cursor = _beat(deps.heartbeats, context.cursor, rows, metrics)
    plan = plan_tick(rows)
    for pk, reason in plan.rejections:
        reject_request(deps, pk, reason)
        context.log.warning(f"rejected {pk}: {reason}")
    requests: list[dg.RunRequest] = []
    slots = capacity(context.instance, settings)
    policy = run_policy_tags(settings)
    for launch in plan.launches:
        if launch.resumed and _run_exists(context.instance, launch.run_key):
            store.transition(launch.row_pk, from_status="SCHEDULED", to_status="SCHEDULED", dequeue=True)
            continue
        if len(requests) >= slots:
            continue  # backpressure: stays pending (and in order) until runs finish
        if not _claim(store, launch, settings.reschedule_after_seconds):
            continue  # another tick (a second daemon during a rolling deploy) has this row
        requests.append(
            dg.RunRequest(
                run_key=launch.run_key,
                partition_key=launch.partition_key,
                tags={
                    **policy,
                    INCIDENT_TAG: launch.incident_id,
                    f"{TAG_PREFIX}incident_id": launch.incident_id,
                    f"{TAG_PREFIX}run_id": launch.run_id,
                    f"{TAG_PREFIX}event_id": launch.event_id,
                },
            )
        )
    keys = sorted({r.partition_key for r in requests if r.partition_key})
    return dg.SensorResult(
        cursor=cursor,
        run_requests=requests,
        dynamic_partitions_requests=[incident_runs.build_add_request(keys)] if keys else [],
    )
