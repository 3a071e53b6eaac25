"""Sensors: the incident-requests table → partitions + runs (exactly once), and run status write-back."""

from datetime import UTC, datetime

import dagster as dg

from opsrunbook_dagster.aws.metrics import MetricPublisher, oldest_pending_datum
from opsrunbook_dagster.defs.incidents.jobs import incident_job
from opsrunbook_dagster.defs.incidents.partitions import incident_runs
from opsrunbook_dagster.defs.resources import OpsRunbookAws, deployment_settings
from opsrunbook_dagster.defs.run_queue import TAG_PREFIX, capacity, take_launches, tick_result
from opsrunbook_dagster.pipeline.intake import plan_tick
from opsrunbook_dagster.pipeline.status import reject_request
from opsrunbook_dagster.settings import OpsRunbookSettings
from opsrunbook_dagster.stores.heartbeats import HeartbeatStore
from opsrunbook_dagster.stores.request_queue import TickPlan, has_work, oldest_pending_age_seconds, poll_until
from opsrunbook_dagster.stores.requests_table import RequestRow, RequestStore

BATCH = 100
#: Name of the request sensor's heartbeat row, and how often it is written.
SENSOR_HEARTBEAT = "incident_request_sensor"
HEARTBEAT_SECONDS = 10.0
#: Every run of one incident carries this tag (= the incident id): the key of the deployment's
#: ``run_coordinator.config.tag_concurrency_limits`` (one run per incident at a time). The
#: per-incident claims in the action ledger keep side effects exactly once even without it.
INCIDENT_TAG = f"{TAG_PREFIX}incident"


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


@dg.sensor(job=incident_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def incident_request_sensor(context: dg.SensorEvaluationContext, aws: OpsRunbookAws) -> dg.SensorResult:
    """New request rows become a dynamic partition and one run (run_key = partition key).

    Rows stay in the pending index until their run exists, so a lost tick re-requests them; each
    request is claimed by a conditional write first and Dagster de-duplicates run keys, so two
    daemons never launch one row twice. Invalid rows are REJECTED with the reason. A tick with
    nothing to launch (no new row, or no free slot) keeps looking for up to
    ``OPSRUNBOOK_SENSOR_WAIT_SECONDS`` (3.5 s), so a new row or a freed slot need not wait for the
    daemon's next 5 s loop.
    """
    deps, settings = aws.deps(), deployment_settings()
    store: RequestStore = deps.requests
    rows = store.pending(limit=BATCH)
    metrics = MetricPublisher.create(
        settings.metrics_namespace, lambda: deps.client("cloudwatch", max_attempts=1, read_timeout=2.0)
    )
    cursor = _beat(deps.heartbeats, context.cursor, rows, metrics)

    queued = plan_tick(rows)

    def look() -> tuple[TickPlan, int]:
        # the free slots first: with none, the table need not be read again
        slots = capacity(context.instance, settings)
        return (plan_tick(store.pending(limit=BATCH)) if slots else queued), slots

    plan, slots = poll_until(
        look,
        lambda seen: has_work(*seen),
        budget_s=settings.sensor_wait_seconds,
        first=(queued, capacity(context.instance, settings)),
    )
    for pk, reason in plan.rejections:
        reject_request(deps, pk, reason)
        context.log.warning(f"rejected {pk}: {reason}")
    launches = take_launches(context.instance, store, plan, slots=slots, settings=settings)
    policy = run_policy_tags(settings)
    return tick_result(
        launches,
        incident_runs,
        tags=lambda launch: {**policy, INCIDENT_TAG: launch.subject["incident_id"]},
        cursor=cursor,
    )
