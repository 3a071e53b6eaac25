"""Side effects exactly once per *incident* (and action type), not per run: two runs of one
incident in flight, and a worker whose call outlives its lease (fakes + moto)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.actions import ActionStatus, ActionType
from opsrunbook_dagster.actions.factory import RuntimeOptions
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.clients.http import RetryPolicy
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.pipeline.actions import ActionsRuntime
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import results_stage
from tests import factories
from tests.actions_support import Clock, config, new_incident, packet, store
from tests.conftest import isolated

pytestmark = pytest.mark.integration
#: The production retry shape with a read timeout above the injected 10 s delay.
PATIENT = RetryPolicy(attempts=5, backoff_factor=0.01, backoff_max=0.05, jitter=0.01, read_timeout=20.0)


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, "actonce-"))


def _by_type(results: list[Any]) -> dict[ActionType, Any]:
    return {r.action_type: r for r in results}


@pytest.mark.parametrize("changed", [False, True], ids=["same-findings", "new-findings"])
def test_two_runs_of_one_incident_in_flight_make_one_ticket_and_one_card(
    deps: PipelineDeps, jira_fake: FakeServer, teams_fake: FakeServer, changed: bool
) -> None:
    """An alarm fired again (a new event id → a second run) while the first run's Jira create
    is still in flight (the fake holds it for 10 s): both runs search, find nothing, and create.
    With a changed finding set the second run must comment once on the one ticket instead."""
    incident = new_incident(f"two-runs-{changed}")
    second = factories.finding(resource="other-fn") if changed else factories.finding(count=61)
    runs = [
        packet(incident, run_id="r00000000000a"),
        packet(incident, run_id="r00000000000b", findings=[second]),
    ]
    for pkt in runs:
        store(deps, pkt)
    jira_fake.app.fault("delay", method="POST", path=r"/rest/api/3/issue$", delay=10.0, times=-1)
    results: dict[str, list[Any]] = {}
    errors: list[BaseException] = []

    def run(run_id: str) -> None:
        runtime = ActionsRuntime(
            config=config(jira=jira_fake.url, teams=teams_fake.url), options=RuntimeOptions(policy=PATIENT)
        )
        try:
            results[run_id], _ = results_stage(deps, incident, run_id, runtime=runtime)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p.run_id,)) for p in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(jira_fake.app.issues) == 1, sorted(jira_fake.app.issues)  # type: ignore[attr-defined]
    comments = [c for i in jira_fake.app.issues.values() for c in i["comments"]]  # type: ignore[attr-defined]
    assert len(comments) == (1 if changed else 0)
    assert len(teams_fake.app.cards) == (2 if changed else 1)  # type: ignore[attr-defined]
    jira = [_by_type(results[p.run_id])[ActionType.jira_ticket] for p in runs]
    assert [r.status for r in jira] == [ActionStatus.succeeded, ActionStatus.succeeded], [
        r.reason for r in jira
    ]
    assert {r.external_ref.key for r in jira if r.external_ref} == {"OPS-1"}
    assert jira_fake.app.violations == [] and teams_fake.app.violations == []


def test_retry_after_waits_longer_than_the_lease_do_not_let_a_second_worker_create(
    deps: PipelineDeps, jira_fake: FakeServer
) -> None:
    """429 x 3 with ``Retry-After: 60`` keeps worker A in one call for 180 s+ (lease: 120 s). A
    second materialization of the same run starts at 125 s: it must not create a second ticket."""
    incident, clock = new_incident("long-call"), Clock()
    pkt = packet(incident)
    store(deps, pkt)
    jira_fake.app.fault(
        "status", method="POST", path=r"/rest/api/3/issue$", status=429, retry_after=60, times=3
    )
    policy = RetryPolicy(attempts=5, backoff_factor=0.01, backoff_max=0.05, jitter=0.01, read_timeout=5.0)
    second: list[Any] = []
    waits: list[float] = []

    def runtime(sleep: Any) -> ActionsRuntime:
        options = RuntimeOptions(policy=policy, now=clock, sleep=sleep)
        return ActionsRuntime(config=config(jira=jira_fake.url), options=options)

    def worker_a_sleeps(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)
        if len(waits) == 2:  # 120 s into A's call: B starts 5 s later
            clock.advance(5)
            second.append(results_stage(deps, incident, pkt.run_id, runtime=runtime(clock.advance))[0])

    first, _ = results_stage(deps, incident, pkt.run_id, runtime=runtime(worker_a_sleeps))
    assert len(jira_fake.app.issues) == 1, sorted(jira_fake.app.issues)  # type: ignore[attr-defined]
    assert waits[:3] == [60, 60, 60]  # A waited through all three 429s itself
    a = _by_type(first)[ActionType.jira_ticket]
    b = _by_type(second[0])[ActionType.jira_ticket]
    assert a.status == ActionStatus.succeeded and a.attempt == 1, a.reason
    assert b.status == ActionStatus.pending, b.reason
    # Later, the row answers for both: one ticket, recorded by the worker that made it.
    clock.advance(600)
    again, _ = results_stage(deps, incident, pkt.run_id, runtime=runtime(clock.advance))
    assert _by_type(again)[ActionType.jira_ticket].external_ref.key == "OPS-1"  # type: ignore[union-attr]
    assert len(jira_fake.app.issues) == 1  # type: ignore[attr-defined]


def _in_thread(target: Any) -> tuple[threading.Thread, list[Any]]:
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(target()))
    thread.start()
    return thread, box


def _wait_for_create(jira: FakeServer) -> None:
    for _ in range(200):
        if jira.app.requests_for("POST", r"/rest/api/3/issue$"):
            return
        time.sleep(0.05)
    raise AssertionError("the create never arrived")


@pytest.mark.parametrize("heartbeat", [0.2, 0.0])
def test_the_heartbeat_keeps_a_slow_call_s_lease(
    deps: PipelineDeps, jira_fake: FakeServer, heartbeat: float
) -> None:
    """Lease 2 s, the create takes 4 s: with renewals a second worker arriving at 3 s finds the
    claim held; without them (the control, heartbeat 0) it takes over and creates a duplicate."""
    incident = new_incident(f"heartbeat-{heartbeat}")
    pkt = packet(incident)
    store(deps, pkt)
    jira_fake.app.fault("delay", method="POST", path=r"/rest/api/3/issue$", delay=4.0, times=-1)

    def runtime() -> ActionsRuntime:
        options = RuntimeOptions(
            policy=PATIENT, lease_seconds=2.0, heartbeat_seconds=heartbeat, claim_wait_seconds=0.0
        )
        return ActionsRuntime(config=config(jira=jira_fake.url), options=options)

    thread, first = _in_thread(lambda: results_stage(deps, incident, pkt.run_id, runtime=runtime())[0])
    _wait_for_create(jira_fake)
    time.sleep(3.0)
    second, _ = results_stage(deps, incident, pkt.run_id, runtime=runtime())
    thread.join(timeout=60)
    tickets = len(jira_fake.app.issues)  # type: ignore[attr-defined]
    if heartbeat:
        assert tickets == 1
        assert _by_type(second)[ActionType.jira_ticket].status == ActionStatus.pending
        assert _by_type(first[0])[ActionType.jira_ticket].status == ActionStatus.succeeded
    else:
        assert tickets == 2  # the failure the heartbeat prevents


def test_a_worker_that_lost_its_claim_records_nothing(deps: PipelineDeps, jira_fake: FakeServer) -> None:
    """While A's create is in flight its claim is taken over (token 2): A's renewals and its
    outcome write are conditional on token 1, so A reports pending and the row is not SUCCEEDED."""
    from opsrunbook_dagster.actions.claims import ClaimStore
    from opsrunbook_dagster.pipeline.actions import ledger

    incident = new_incident("stolen")
    pkt = packet(incident)
    store(deps, pkt)
    jira_fake.app.fault("delay", method="POST", path=r"/rest/api/3/issue$", delay=2.0)
    options = RuntimeOptions(policy=PATIENT, heartbeat_seconds=0.0)
    runtime = ActionsRuntime(config=config(jira=jira_fake.url), options=options)
    thread, first = _in_thread(lambda: results_stage(deps, incident, pkt.run_id, runtime=runtime)[0])
    _wait_for_create(jira_fake)
    book = ledger(deps)
    later = datetime.now(UTC) + timedelta(hours=1)  # as if A's lease had run out
    thief = ClaimStore(book.dynamodb, book.table).acquire(incident, "jira_ticket", "thief", later, 120)
    assert thief is not None and thief.token == 2
    thread.join(timeout=60)
    jira = _by_type(first[0])[ActionType.jira_ticket]
    assert jira.status == ActionStatus.pending and "lease lost" in jira.reason, jira.reason
    row = next(r for r in book.rows(incident) if r["action_type"] == "jira_ticket")
    assert row["status"] == "PENDING" and row["token"] == 1
    claim = ClaimStore(book.dynamodb, book.table).get(incident, "jira_ticket")
    assert claim and claim["token"] == 2 and claim["holder"] == "thief"  # A did not release the thief's claim
