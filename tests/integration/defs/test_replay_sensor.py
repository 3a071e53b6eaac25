"""replay_request_sensor on an ephemeral instance against the sandbox's tables: a replay request
becomes one run per replayed partition through the shared request queue (run key, partition,
asset selection, tags, the in-flight cap), is never requested twice, and ends MATCH or FAILED from
its runs and the checks they recorded; a request naming nothing replayable is REJECTED."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.defs.incidents.outputs_assets import action_plan, incident_packet
from opsrunbook_dagster.defs.replay.sensors import replay_request_sensor
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.replay import REPLAY_TAG
from tests.factories import incident_event
from tests.integration.defs.launching import launch_as_the_daemon, launched

pytestmark = pytest.mark.integration
PREFIX = "replaysensor-"  # the tables of this module (the shared deps/resource fixtures)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def _completed(deps: PipelineDeps, n: int) -> IncidentEventV1:
    """An incident whose one run SUCCEEDED (what a replay may rebuild)."""
    event = IncidentEventV1.model_validate(
        incident_event(event_id=f"replaysensor-evt-{n:04d}", incident_id=f"inc-replaysensor-{n:04d}")
    )
    assert deps.requests.submit(event).created
    assert deps.incidents.set_run_status(event.resolved_incident_id, event.run_id, "SUCCEEDED")
    return event


def _tick(instance: dg.DagsterInstance, resource: OpsRunbookAws, replay_id: str) -> list[dg.RunRequest]:
    """The run requests of one tick that belong to ``replay_id`` (the tables are shared by the tests)."""
    result = replay_request_sensor(dg.build_sensor_context(instance=instance, resources={"aws": resource}))
    assert isinstance(result, dg.SensorResult)
    return [r for r in result.run_requests or [] if r.tags[REPLAY_TAG] == replay_id]


@dg.op
def missing_evidence() -> None:
    raise FileNotFoundError("evidence/inc/run/logs.json is missing")


@dg.job
def broken_replay_run() -> None:
    missing_evidence()


def _launch(instance: dg.DagsterInstance, request: dg.RunRequest, job: dg.JobDefinition = launched) -> None:
    run = {"dagster/partition": str(request.partition_key), "dagster/run_key": str(request.run_key)}
    launch_as_the_daemon(instance, {**request.tags, **run}, job)


def test_a_replay_becomes_one_run_per_partition_once_and_ends_match(
    deps: PipelineDeps, resource: OpsRunbookAws, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = _completed(deps, 1)
    incident = event.resolved_incident_id
    row = deps.replays.request(incident, None)

    monkeypatch.setenv("OPSRUNBOOK_MAX_CONCURRENT_RUNS", "0")
    assert _tick(instance, resource, row.replay_id) == []  # taken, but no slot: waits on the active queue
    assert deps.replays.get(row.replay_id).status == "SCHEDULED"  # type: ignore[union-attr]
    monkeypatch.delenv("OPSRUNBOOK_MAX_CONCURRENT_RUNS")

    [request] = _tick(instance, resource, row.replay_id)
    assert request.run_key == f"{row.replay_id}:{event.run_id}"
    assert request.partition_key == f"{incident}.{event.run_id}"
    assert request.asset_selection == [incident_packet.key, action_plan.key]
    assert request.tags[REPLAY_TAG] == row.replay_id
    assert request.tags["opsrunbook/incident"] == incident

    for kind in ("packet", "plan"):
        deps.incidents.put_replay_row(incident, row.replay_id, event.run_id, kind, {"match": True})
    _launch(instance, request)
    assert _tick(instance, resource, row.replay_id) == []  # the run exists: not requested again, and it ended
    done = deps.replays.get(row.replay_id)
    assert done is not None and done.status == "MATCH", done
    assert done.raw["reason"] == "1 run(s) rebuilt byte for byte"
    assert "queue" not in done.raw  # off every queue
    # the incident's replay slot was released: the next replay may start
    assert deps.replays.request(incident, [event.run_id]).status == "REQUESTED"


def test_a_replay_whose_run_fails_ends_failed_with_the_steps_error(
    deps: PipelineDeps, resource: OpsRunbookAws, instance: dg.DagsterInstance
) -> None:
    event = _completed(deps, 2)
    row = deps.replays.request(event.resolved_incident_id, [event.run_id])
    [request] = _tick(instance, resource, row.replay_id)
    _launch(instance, request, broken_replay_run)
    assert _tick(instance, resource, row.replay_id) == []
    done = deps.replays.get(row.replay_id)
    assert done is not None and done.status == "FAILED"
    assert f"{event.run_id}: " in done.raw["reason"]
    assert "evidence/inc/run/logs.json is missing" in done.raw["reason"]


def test_a_replay_of_nothing_replayable_is_rejected_with_the_reason(
    deps: PipelineDeps, resource: OpsRunbookAws, instance: dg.DagsterInstance
) -> None:
    event = IncidentEventV1.model_validate(
        incident_event(event_id="replaysensor-evt-0003", incident_id="inc-replaysensor-0003")
    )
    assert deps.requests.submit(event).created  # REQUESTED, never completed
    unknown = deps.replays.request(event.resolved_incident_id, ["r-unknown"])
    assert _tick(instance, resource, unknown.replay_id) == []
    rejected = deps.replays.get(unknown.replay_id)
    assert rejected is not None and rejected.status == "REJECTED"
    assert rejected.raw["reason"] == f"run_ids: not completed runs of {event.resolved_incident_id}: r-unknown"
