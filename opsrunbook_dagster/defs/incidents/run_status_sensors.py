"""Run-status sensors: write each incident run's outcome back to its request and incident rows.

STARTED → RUNNING (with the attempt number), SUCCESS → SUCCEEDED, FAILURE → RETRYING while Dagster's
run-retry daemon will retry it, else FAILED with the failed steps' own errors as the reason, and
CANCELED → CANCELED, so no terminated run leaves its incident RUNNING forever.
"""

from collections.abc import Callable
from typing import Any

import dagster as dg

from opsrunbook_dagster.defs.incidents.jobs import incident_job
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.defs.run_queue import TAG_PREFIX
from opsrunbook_dagster.pipeline.status import RunEnd, attempt_of, canceled_run, failed_run, mark_run


def _on(status: dg.DagsterRunStatus) -> Callable[..., Any]:
    return dg.run_status_sensor(
        run_status=status,
        monitored_jobs=[incident_job],
        minimum_interval_seconds=1,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )


def _write_back(
    context: dg.RunStatusSensorContext, aws: OpsRunbookAws, status: str, **fields: object
) -> None:
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
            **fields,
        )


def _write_end(context: dg.RunStatusSensorContext, aws: OpsRunbookAws, end: RunEnd) -> None:
    _write_back(context, aws, end.status, **end.fields)


@_on(dg.DagsterRunStatus.STARTED)
def incident_run_started(context: dg.RunStatusSensorContext, aws: OpsRunbookAws) -> None:
    """Mark the incident run RUNNING, with its attempt number (and take its request row out of the pending index)."""
    _write_back(context, aws, "RUNNING", attempt=attempt_of(context.dagster_run.tags))


@_on(dg.DagsterRunStatus.SUCCESS)
def incident_run_succeeded(context: dg.RunStatusSensorContext, aws: OpsRunbookAws) -> None:
    """Mark the incident run SUCCEEDED."""
    _write_back(context, aws, "SUCCEEDED", attempt=attempt_of(context.dagster_run.tags))


def _will_retry(context: dg.RunFailureSensorContext) -> bool:
    """Whether Dagster's run-retry daemon will retry this run (the instance tags failed runs)."""
    tags = context.dagster_run.tags
    if "dagster/will_retry" in tags:
        return tags["dagster/will_retry"].lower() == "true"
    if not context.instance.run_retries_enabled:
        return False
    limit = int(tags.get("dagster/max_retries", context.instance.run_retries_max_retries))
    return attempt_of(tags) <= limit


@dg.run_failure_sensor(
    monitored_jobs=[incident_job], minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING
)
def incident_run_failed(context: dg.RunFailureSensorContext, aws: OpsRunbookAws) -> None:
    """RETRYING while Dagster retries the run, else FAILED with the last error as the reason."""
    errors = []
    for event in context.get_step_failure_events():
        error = getattr(event.event_specific_data, "error", None)
        while getattr(error, "cause", None) is not None:  # the user code's own error, not Dagster's wrapper
            error = error.cause  # type: ignore[union-attr]
        message = getattr(error, "message", "") or event.message or ""
        errors.append(f"{event.step_key}: {message.strip()}")
    summary = context.failure_event.message or ""
    end = failed_run(attempt_of(context.dagster_run.tags), _will_retry(context), errors, summary)
    _write_end(context, aws, end)


@_on(dg.DagsterRunStatus.CANCELED)
def incident_run_canceled(context: dg.RunStatusSensorContext, aws: OpsRunbookAws) -> None:
    """Mark the incident run CANCELED (a terminated run must not stay RUNNING)."""
    message = context.dagster_event.message or ""
    _write_end(context, aws, canceled_run(attempt_of(context.dagster_run.tags), message))
