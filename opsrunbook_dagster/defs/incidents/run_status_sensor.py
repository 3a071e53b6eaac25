"""Run-status write-back: the outcome of an incident run that could not write it itself.

A run writes RUNNING (``incident_evidence``) and SUCCEEDED (``action_results``) on its request and
incident rows itself, with its attempt number. What it cannot write is its own death: FAILURE →
RETRYING while Dagster's run-retry daemon will retry it, else FAILED with the failed steps' own errors
as the reason, and CANCELED → CANCELED, so no terminated run leaves its incident RUNNING forever.

One sensor reads both run-status events from the instance's event log, in storage order, from a
cursor per event type. Four ``run_status_sensor``s (start, success, failure, cancel) ticked four times
per sensor loop, each tick of a sensor in the code server opening the instance afresh (on SQLite
storage that re-reads the schema migrations; the idle stack spent ~0.13 CPU-s per second on it), and
wrote RUNNING and SUCCEEDED a second time for every run. The writes are forward-only and idempotent,
so an event handled twice (a tick that failed half-way is retried whole) changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Collection

import dagster as dg

from opsrunbook_dagster.defs.incidents.jobs import incident_job
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.defs.run_errors import step_errors
from opsrunbook_dagster.defs.run_queue import TAG_PREFIX
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.status import RunEnd, attempt_of, canceled_run, failed_run, mark_run

Event = dg.DagsterEventType
#: The run-status events written back, and the events a tick reads per type at most.
STATUS_EVENTS = (Event.RUN_FAILURE, Event.RUN_CANCELED)
PER_TICK = 200


def _cursor(raw: str | None) -> dict[str, int] | None:
    return {str(k): int(v) for k, v in json.loads(raw).items()} if raw else None


def _latest(instance: dg.DagsterInstance, event_type: dg.DagsterEventType) -> int:
    records = instance.fetch_run_status_changes(event_type, limit=1, ascending=False).records
    return records[0].storage_id if records else 0


def _will_retry(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    """Whether Dagster's run-retry daemon will retry this run (the instance tags failed runs)."""
    tags = run.tags
    if "dagster/will_retry" in tags:
        return tags["dagster/will_retry"].lower() == "true"
    if not instance.run_retries_enabled:
        return False
    limit = int(tags.get("dagster/max_retries", instance.run_retries_max_retries))
    return attempt_of(tags) <= limit


def _outcome(
    instance: dg.DagsterInstance, run: dg.DagsterRun, event_type: dg.DagsterEventType, message: str
) -> RunEnd:
    attempt = attempt_of(run.tags)
    if event_type == Event.RUN_FAILURE:
        return failed_run(attempt, _will_retry(instance, run), step_errors(instance, run.run_id), message)
    return canceled_run(attempt, message)


def write_back(
    instance: dg.DagsterInstance, deps: PipelineDeps, cursor: str | None, job_names: Collection[str]
) -> str:
    """Write back every failure and cancellation after ``cursor`` of the runs of ``job_names``, in
    storage order; returns the new cursor. The first tick starts from the newest events, as Dagster's run-status
    sensors do: the history before the sensor existed is not replayed."""
    seen = _cursor(cursor)
    if seen is None:
        return json.dumps({t.value: _latest(instance, t) for t in STATUS_EVENTS}, sort_keys=True)
    records = []
    for event_type in STATUS_EVENTS:
        after = seen.get(event_type.value, 0)
        filters = dg.RunStatusChangeRecordsFilter(event_type=event_type, after_storage_id=after)
        found = instance.fetch_run_status_changes(filters, limit=PER_TICK, ascending=True).records
        records += [(r, event_type) for r in found]
        if found:
            seen[event_type.value] = max(r.storage_id for r in found)
    for record, event_type in sorted(records, key=lambda pair: pair[0].storage_id):
        run = instance.get_run_by_id(record.event_log_entry.run_id)
        incident_id = run.tags.get(f"{TAG_PREFIX}incident_id") if run else None
        run_id = run.tags.get(f"{TAG_PREFIX}run_id") if run else None
        if run is None or run.job_name not in job_names or not (incident_id and run_id):
            continue
        entry = record.event_log_entry
        message = (entry.dagster_event.message if entry.dagster_event else None) or entry.user_message or ""
        end = _outcome(instance, run, event_type, message)
        mark_run(
            deps,
            incident_id,
            run_id,
            end.status,
            dagster_run_id=run.run_id,
            event_id=run.tags.get(f"{TAG_PREFIX}event_id"),
            **end.fields,
        )
    return json.dumps(seen, sort_keys=True)


@dg.sensor(minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def incident_run_status_sensor(context: dg.SensorEvaluationContext, aws: OpsRunbookAws) -> dg.SensorResult:
    """Write each failed or canceled incident run's outcome (RETRYING, FAILED with the reason,
    CANCELED) back to its request and incident rows."""
    cursor = write_back(context.instance, aws.deps(), context.cursor, {incident_job.name})
    return dg.SensorResult(cursor=cursor)
