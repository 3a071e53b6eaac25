"""Run-status write-back on an ephemeral instance: retries, final failure with a reason, cancel,
and a resubmission after a failure that starts a new attempt instead of returning the failure."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg
import pytest

from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.defs.incidents.run_status_sensor import incident_run_status_sensor
from opsrunbook_dagster.defs.incidents.sensors import incident_request_sensor
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.server import SandboxServer
from tests.conftest import aws_resource, isolated
from tests.factories import incident_event

pytestmark = pytest.mark.integration
PREFIX = "runstatus-"


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    names = isolated(aws, PREFIX)
    return PipelineDeps(target=aws, names=names)


@pytest.fixture
def resource(sandbox: SandboxServer) -> OpsRunbookAws:
    return aws_resource(sandbox, PREFIX)


def _submit(deps: PipelineDeps, n: int) -> IncidentEventV1:
    event = IncidentEventV1.model_validate(incident_event(event_id=f"runstatus-evt-{n:04d}"))
    assert deps.requests.submit(event).created
    return event


def _tags(event: IncidentEventV1, **extra: str) -> dict[str, str]:
    return {
        "opsrunbook/incident_id": event.resolved_incident_id,
        "opsrunbook/run_id": event.run_id,
        "opsrunbook/event_id": event.event_id,
        **extra,
    }


@dg.op
def broken_step() -> None:
    raise RuntimeError("GetQueryResults timed out after 3 attempts")


@dg.job(name="incident_job")  # the sensor writes back the incident job's runs only
def failing_job() -> None:
    broken_step()


@dg.op
def fine_step() -> None:
    return None


@dg.job(name="incident_job")
def fine_job() -> None:
    fine_step()


def _tick(instance: dg.DagsterInstance, resource: OpsRunbookAws, cursor: str | None) -> str:
    """One tick of the write-back sensor, as the daemon runs it; returns its cursor."""
    context = dg.build_sensor_context(instance=instance, resources={"aws": resource}, cursor=cursor)
    result = incident_run_status_sensor(context)
    assert isinstance(result, dg.SensorResult) and result.cursor
    return result.cursor


def _written_back(
    deps: PipelineDeps,
    resource: OpsRunbookAws,
    event: IncidentEventV1,
    act: Callable[[dg.DagsterInstance], object],
) -> dict:
    """The incident run row after ``act`` on a fresh instance and one sensor tick after it."""
    with dg.DagsterInstance.ephemeral() as instance:
        cursor = _tick(instance, resource, None)
        act(instance)
        _tick(instance, resource, cursor)
    return _run_row(deps, event)


def _fail(instance: dg.DagsterInstance, event: IncidentEventV1, **tags: str) -> None:
    result = failing_job.execute_in_process(
        instance=instance, tags=_tags(event, **tags), raise_on_error=False
    )
    assert not result.success


def _run_row(deps: PipelineDeps, event: IncidentEventV1) -> dict:
    row = deps.incidents.run(event.resolved_incident_id, event.run_id)
    assert row is not None
    return row


def test_a_failure_that_will_be_retried_is_retrying_then_the_last_one_fails_with_its_error(
    deps: PipelineDeps, resource: OpsRunbookAws
) -> None:
    event = _submit(deps, 1)
    with dg.instance_for_test(overrides={"run_retries": {"enabled": True, "max_retries": 0}}) as instance:
        cursor = _tick(instance, resource, None)
        _fail(instance, event, **{"dagster/max_retries": "2"})
        cursor = _tick(instance, resource, cursor)
        row = _run_row(deps, event)
        assert (row["status"], row["attempt"]) == ("RETRYING", 1)
        assert "GetQueryResults timed out" in row["last_error"]

        # the retry fails before its first step wrote RUNNING, and will be retried again: RETRYING, attempt 2
        _fail(instance, event, **{"dagster/max_retries": "2", "dagster/retry_number": "1"})
        cursor = _tick(instance, resource, cursor)
        assert (_run_row(deps, event)["status"], _run_row(deps, event)["attempt"]) == ("RETRYING", 2)

        # the last allowed attempt fails: FAILED for good, with the reason a person can act on.
        # (Dagster decides will_retry from the run group; a standalone run stands in for the third
        # attempt, so its retry budget is spent by the tag.)
        _fail(instance, event, **{"dagster/max_retries": "0", "dagster/retry_number": "2"})
        cursor = _tick(instance, resource, cursor)
    row = _run_row(deps, event)
    assert row["status"] == "FAILED" and row["attempt"] == 3
    assert (
        row["reason"].startswith("attempt 3: broken_step:") and "GetQueryResults timed out" in row["reason"]
    )
    request = deps.requests.get(f"EVENT#{event.event_id}")
    assert request is not None and request.status == "FAILED" and "GetQueryResults" in request.raw["reason"]
    meta = deps.incidents.meta(event.resolved_incident_id)
    assert meta is not None and meta["status"] == "FAILED" and meta["attempt"] == 3


def test_start_and_success_are_the_runs_own_writes(deps: PipelineDeps, resource: OpsRunbookAws) -> None:
    """The run writes RUNNING and SUCCEEDED itself (its assets; see test_pipeline_assets): the sensor
    does not write them a second time."""
    event = _submit(deps, 7)
    row = _written_back(
        deps, resource, event, lambda i: fine_job.execute_in_process(instance=i, tags=_tags(event))
    )
    assert row["status"] == "REQUESTED"


def test_without_retries_a_failure_is_final(deps: PipelineDeps, resource: OpsRunbookAws) -> None:
    event = _submit(deps, 2)
    row = _written_back(deps, resource, event, lambda i: _fail(i, event, **{"dagster/max_retries": "2"}))
    assert row["status"] == "FAILED" and "GetQueryResults" in row["reason"]


def test_a_canceled_run_is_written_back_and_never_stays_running(
    deps: PipelineDeps, resource: OpsRunbookAws
) -> None:
    event = _submit(deps, 3)

    def cancel(instance: dg.DagsterInstance) -> None:
        run = instance.create_run_for_job(job_def=fine_job, tags=_tags(event))
        instance.report_run_canceled(run, message="Run was canceled by the operator")

    row = _written_back(deps, resource, event, cancel)
    assert row["status"] == "CANCELED" and "canceled by the operator" in row["reason"]


def test_the_first_tick_starts_after_the_history_and_other_jobs_are_left_alone(
    deps: PipelineDeps, resource: OpsRunbookAws
) -> None:
    """A new sensor does not replay the instance's history; runs of other jobs (replays, PR reviews)
    carrying the same tags never touch an incident's rows."""
    before, other = _submit(deps, 5), _submit(deps, 6)

    @dg.job(name="replay_job")
    def other_job() -> None:
        broken_step()

    with dg.DagsterInstance.ephemeral() as instance:
        _fail(instance, before)
        cursor = _tick(instance, resource, None)
        assert _run_row(deps, before)["status"] == "REQUESTED"
        other_job.execute_in_process(instance=instance, tags=_tags(other), raise_on_error=False)
        _tick(instance, resource, cursor)
    assert _run_row(deps, other)["status"] == "REQUESTED"


def test_resubmitting_after_a_failure_starts_a_new_attempt_with_its_own_run_key(
    deps: PipelineDeps, resource: OpsRunbookAws
) -> None:
    event = _submit(deps, 4)
    key = f"{event.resolved_incident_id}.{event.run_id}"
    with dg.DagsterInstance.ephemeral() as instance:
        first = incident_request_sensor(
            dg.build_sensor_context(instance=instance, resources={"aws": resource})
        )
        assert [r.run_key for r in first.run_requests or [] if r.partition_key == key] == [key]
        cursor = _tick(instance, resource, None)
        _fail(instance, event)
        _tick(instance, resource, cursor)
        assert deps.requests.get(f"EVENT#{event.event_id}").status == "FAILED"  # type: ignore[union-attr]

        again = deps.requests.submit(event)
        assert again.created and again.resubmitted and again.status == "REQUESTED"
        assert not deps.requests.submit(event).resubmitted  # a second resubmission is the same attempt
        assert _run_row(deps, event)["status"] == "REQUESTED"

        second = incident_request_sensor(
            dg.build_sensor_context(instance=instance, resources={"aws": resource})
        )
    requests = [r for r in second.run_requests or [] if r.partition_key == key]
    assert [r.run_key for r in requests] == [f"{key}#s2"]
    assert requests[0].tags["opsrunbook/incident"] == event.resolved_incident_id
    assert requests[0].tags["dagster/max_retries"] == "2"
