"""incident_request_sensor on a persistent instance, SQLite and Postgres storage: exactly once,
concurrent inserts, rejections, heartbeats, two daemons at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.defs.incidents.sensors import incident_request_sensor
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.requests_table import RequestStore, to_item
from tests.conftest import aws_resource, isolated
from tests.integration.daemon_support import DaemonView, ticks_after_read
from tests.integration.defs.launching import launch_as_the_daemon

pytestmark = pytest.mark.integration
PREFIX = "sensor-"


def _event(n: int) -> IncidentEventV1:
    end = datetime.now(UTC).replace(microsecond=0)
    return IncidentEventV1(
        event_id=f"sensor-evt-{n:04d}",
        service="svc",
        environment="test",
        time_window={"start": end - timedelta(minutes=30), "end": end},
        hints={"log_groups": ["/aws/lambda/svc"]},
    )


@pytest.fixture(scope="module")
def prefix(instance_storage: str) -> str:
    """Tables of their own per storage variant (the same events are submitted in each)."""
    return f"{PREFIX}{instance_storage}-"


@pytest.fixture(scope="module")
def deps(aws: AwsTarget, prefix: str) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, prefix))


@pytest.fixture
def resource(sandbox, prefix: str) -> OpsRunbookAws:  # type: ignore[no-untyped-def]
    return aws_resource(sandbox, prefix)


@pytest.fixture(autouse=True)
def one_look_per_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ticks here look once (the tests drive them one by one); the wait has its own test."""
    monkeypatch.setenv("OPSRUNBOOK_SENSOR_WAIT_SECONDS", "0")


def _tick(instance: dg.DagsterInstance, resource: OpsRunbookAws) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, resources={"aws": resource})
    result = incident_request_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_each_row_is_requested_once_and_leaves_the_queue_when_its_run_exists(
    deps: PipelineDeps, resource: OpsRunbookAws, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [_event(n) for n in range(3)]
    for event in events:
        assert deps.requests.submit(event).created
    first = _tick(instance, resource)
    keys = sorted(r.run_key for r in first.run_requests or [])
    assert keys == sorted(f"{e.resolved_incident_id}.{e.run_id}" for e in events)
    assert all(r.partition_key == r.run_key for r in first.run_requests or [])
    assert sorted(first.dynamic_partitions_requests[0].partition_keys) == keys  # type: ignore[union-attr]
    assert {deps.requests.get(f"EVENT#{e.event_id}").status for e in events} == {"SCHEDULED"}  # type: ignore[union-attr]
    # Right after, the rows are another tick's (a second daemon's) to launch: not requested again.
    assert _tick(instance, resource).run_requests == []
    # A tick whose result was lost: once the schedule is stale, the same run keys again (the
    # daemon de-duplicates them).
    monkeypatch.setenv("OPSRUNBOOK_RESCHEDULE_AFTER_SECONDS", "0")
    again = _tick(instance, resource)
    assert sorted(r.run_key for r in again.run_requests or []) == keys
    for key in keys:
        launch_as_the_daemon(instance, {"dagster/run_key": key})
    settled = _tick(instance, resource)
    assert settled.run_requests == []
    assert deps.requests.pending() == []


def test_concurrent_inserts_are_never_skipped_or_doubled(
    deps: PipelineDeps, resource: OpsRunbookAws, instance: dg.DagsterInstance
) -> None:
    events = [_event(100 + n) for n in range(24)]
    requested: list[str] = []

    def writer(chunk: list[IncidentEventV1]) -> None:
        for event in chunk:
            deps.requests.submit(event)

    threads = [threading.Thread(target=writer, args=(events[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    launched: set[str] = set()
    for _ in range(40):
        result = _tick(instance, resource)
        for request in result.run_requests or []:
            assert request.run_key not in launched, "a run key was requested again after its run existed"
            requested.append(request.run_key)  # type: ignore[arg-type]
            launch_as_the_daemon(instance, {"dagster/run_key": str(request.run_key)})
            launched.add(request.run_key)  # type: ignore[arg-type]
        if not any(t.is_alive() for t in threads) and not deps.requests.pending():
            break
    for thread in threads:
        thread.join()
    assert sorted(requested) == sorted(f"{e.resolved_incident_id}.{e.run_id}" for e in events)


def test_a_tick_with_nothing_to_launch_launches_a_row_written_while_it_waits(
    deps: PipelineDeps, resource: OpsRunbookAws, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dagster starts a tick once per 5 s loop: the tick keeps looking, so a row written after it
    started is launched by it, not by the next one."""
    monkeypatch.setenv("OPSRUNBOOK_SENSOR_WAIT_SECONDS", "3.5")
    assert deps.requests.pending() == []
    event = _event(300)
    writer = threading.Timer(0.6, lambda: deps.requests.submit(event))
    writer.start()
    result = _tick(instance, resource)
    writer.join()
    assert [r.run_key for r in result.run_requests or []] == [f"{event.resolved_incident_id}.{event.run_id}"]
    assert result.dynamic_partitions_requests[0].partition_keys == [r.run_key for r in result.run_requests]  # type: ignore[union-attr]
    # with no wait, a row written after the look is the next tick's
    monkeypatch.setenv("OPSRUNBOOK_SENSOR_WAIT_SECONDS", "0")
    launch_as_the_daemon(instance, {"dagster/run_key": str(result.run_requests[0].run_key)})  # type: ignore[index]
    later = _event(301)
    writer = threading.Timer(0.3, lambda: deps.requests.submit(later))
    writer.start()
    assert _tick(instance, resource).run_requests == []
    writer.join()
    assert [r.run_key for r in _tick(instance, resource).run_requests or []] == [
        f"{later.resolved_incident_id}.{later.run_id}"
    ]


def test_invalid_rows_are_rejected_with_the_reason_and_kept(
    deps: PipelineDeps, resource: OpsRunbookAws, instance: dg.DagsterInstance
) -> None:
    bad = {
        "pk": "EVENT#bad-row-0001",
        "sk": "REQUEST",
        "kind": "collect",
        "status": "REQUESTED",
        "queue": "pending",
        "created_at": "2026-01-01T00:00:00Z",
        "incident_id": "inc-x",
        "run_id": "r000000000000",
        "body": '{"event_id": "bad-row-0001", "service": "svc"}',
    }
    deps.client("dynamodb").put_item(TableName=deps.names.incident_requests_table, Item=to_item(bad))
    result = _tick(instance, resource)
    assert all(r.run_key != "inc-x.r000000000000" for r in result.run_requests or [])
    row = deps.requests.get("EVENT#bad-row-0001")
    assert row is not None and row.status == "REJECTED"
    assert row.raw["reason"].startswith("environment:") or "Field required" in row.raw["reason"]
    assert "queue" not in row.raw and row.body == bad["body"]


def test_a_rejected_request_marks_its_incident_rejected(deps: PipelineDeps, resource: OpsRunbookAws) -> None:
    outcome = deps.requests.submit(_event(9001))
    # the stored body no longer validates (e.g. written by an older version)
    deps.client("dynamodb").update_item(
        TableName=deps.names.incident_requests_table,
        Key=to_item({"pk": "EVENT#sensor-evt-9001", "sk": "REQUEST"}),
        UpdateExpression="SET body = :b",
        ExpressionAttributeValues=to_item({":b": '{"event_id": "sensor-evt-9001"}'}),
    )
    with dg.DagsterInstance.ephemeral() as instance:
        _tick(instance, resource)
    meta = deps.incidents.meta(outcome.incident_id)
    run = deps.incidents.run(outcome.incident_id, outcome.run_id)
    assert meta is not None and meta["status"] == "REJECTED" and meta["reason"]
    assert run is not None and run["status"] == "REJECTED"


def test_each_tick_records_a_heartbeat_with_the_oldest_waiting_request(
    deps: PipelineDeps, resource: OpsRunbookAws, instance: dg.DagsterInstance
) -> None:
    deps.requests.submit(_event(900))
    before = datetime.now(UTC)
    result = _tick(instance, resource)
    beat = deps.heartbeats.last("incident_request_sensor")
    assert beat is not None and beat.at >= before.replace(microsecond=0)
    assert beat.facts["pending"] >= 1 and beat.facts["oldest_pending_age_s"] >= 0
    assert result.cursor is not None
    # within the heartbeat interval the cursor says a beat is recent: no write per tick
    context = dg.build_sensor_context(instance=instance, resources={"aws": resource}, cursor=result.cursor)
    again = incident_request_sensor(context)
    assert again.cursor == result.cursor  # type: ignore[union-attr]
    assert deps.heartbeats.last("incident_request_sensor").at == beat.at  # type: ignore[union-attr]


def test_two_daemons_ticking_at_once_request_each_row_once(
    deps: PipelineDeps, resource: OpsRunbookAws, instance: dg.DagsterInstance
) -> None:
    """A rolling deploy runs two daemons on one instance and one table: each tick claims a row with a
    conditional write before requesting its run, so no row is requested by both."""
    events = [_event(700 + n) for n in range(12)]
    for event in events:
        deps.requests.submit(event)
    requested: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def daemon() -> None:
        barrier.wait()
        for _ in range(3):
            result = _tick(instance, resource)
            with lock:
                requested.extend(r.run_key for r in result.run_requests or [])  # type: ignore[misc]

    threads = [threading.Thread(target=daemon) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    mine = sorted(k for k in requested if k in {f"{e.resolved_incident_id}.{e.run_id}" for e in events})
    assert mine == sorted(f"{e.resolved_incident_id}.{e.run_id}" for e in events)


def _losing_tick(
    deps: PipelineDeps, instance: dg.DagsterInstance, resource: OpsRunbookAws
) -> tuple[dg.SensorResult, list[dg.SensorResult]]:
    """Daemon A's tick with daemon B's tick (on the same instance and table) between A's read of the
    queue and A's claims; returns A's result and B's."""
    theirs: list[dg.SensorResult] = []
    store = ticks_after_read(
        RequestStore(deps.client("dynamodb"), deps.names.incident_requests_table, deps.names.incidents_table),
        lambda: theirs.append(_tick(instance, resource)),
    )
    view = DaemonView(deps, {"requests": store})
    context = dg.build_sensor_context(instance=instance, resources={"aws": view})
    mine = incident_request_sensor(context)
    assert isinstance(mine, dg.SensorResult) and len(theirs) == 1
    return mine, theirs


def _keys_of(result: dg.SensorResult, keys: set[str]) -> list[str]:
    return sorted(r.run_key for r in result.run_requests or [] if r.run_key in keys)


def test_a_tick_that_loses_the_claim_to_another_daemon_requests_nothing(
    deps: PipelineDeps, resource: OpsRunbookAws, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both daemons read the same REQUESTED rows; B claims them first (REQUESTED → SCHEDULED). A's own
    conditional write then fails, and A must not request those runs: had it ignored the failed
    condition, both results would carry the run keys and Dagster's check-then-create de-duplication
    of run keys (not atomic across daemons) could start two runs of one incident."""
    # rows other tests left SCHEDULED in this module's table are older: no cap may crowd these out
    monkeypatch.setenv("OPSRUNBOOK_MAX_CONCURRENT_RUNS", "1000")
    events = [_event(800 + n) for n in range(3)]
    for event in events:
        assert deps.requests.submit(event).created
    keys = {f"{e.resolved_incident_id}.{e.run_id}" for e in events}
    mine, theirs = _losing_tick(deps, instance, resource)
    assert _keys_of(theirs[0], keys) == sorted(keys)
    assert _keys_of(mine, keys) == []
    added = {k for r in mine.dynamic_partitions_requests or [] for k in getattr(r, "partition_keys", [])}
    assert not added & keys
    scheduled = [deps.requests.get(f"EVENT#{e.event_id}") for e in events]
    assert {r.status for r in scheduled if r is not None} == {"SCHEDULED"}

    # The same race on a re-request: the rows' runs never appeared, both daemons find them stale; B
    # re-takes them first (a new scheduled_at), so A's conditional re-take fails and A requests nothing.
    monkeypatch.setenv("OPSRUNBOOK_RESCHEDULE_AFTER_SECONDS", "0")
    mine, theirs = _losing_tick(deps, instance, resource)
    assert _keys_of(theirs[0], keys) == sorted(keys)
    assert _keys_of(mine, keys) == []


def test_runs_of_one_incident_share_the_incident_concurrency_tag(
    deps: PipelineDeps, resource: OpsRunbookAws, instance: dg.DagsterInstance
) -> None:
    """An alarm that fires again (new event id, same incident id) gives a second run in the same
    tick; both carry ``opsrunbook/incident`` = the incident id, the key a deployment's
    ``tag_concurrency_limits`` uses to keep them one at a time (the claims make it exactly once)."""
    from opsrunbook_dagster.defs.incidents.sensors import INCIDENT_TAG

    first = _event(910)
    again = first.model_copy(update={"event_id": "sensor-evt-0911", "incident_id": "inc-refired-0001"})
    first = first.model_copy(update={"incident_id": "inc-refired-0001"})
    for event in (first, again):
        assert deps.requests.submit(event).created
    tick = _tick(instance, resource)
    mine = [r for r in tick.run_requests or [] if r.tags.get("opsrunbook/incident_id") == "inc-refired-0001"]
    assert len(mine) == 2 and len({r.run_key for r in mine}) == 2
    assert INCIDENT_TAG == "opsrunbook/incident"
    assert {r.tags[INCIDENT_TAG] for r in mine} == {"inc-refired-0001"}
