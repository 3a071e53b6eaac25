"""Teams at-most-once and "only when the finding set changed", against the fake and moto."""

from __future__ import annotations

import pytest

from contracts.actions import ActionStatus, ActionType
from opsrunbook_dagster.actions.factory import RuntimeOptions
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.pipeline.actions import ActionsRuntime, ledger
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import results_stage
from tests import factories
from tests.actions_support import FAST, Clock, CrashAfter, SimulatedCrash, config, new_incident, packet, store
from tests.conftest import isolated

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, "actteams-"))


def _runtime(
    jira: FakeServer, teams: FakeServer, clock: Clock, crash: CrashAfter | None = None
) -> ActionsRuntime:
    options = RuntimeOptions(policy=FAST, after_write=crash, now=clock, sleep=clock.advance)
    return ActionsRuntime(config=config(jira=jira.url, teams=teams.url), options=options)


def _by_type(results):  # type: ignore[no-untyped-def]
    return {r.action_type: r for r in results}


def test_card_on_first_run_then_only_when_the_finding_set_changes(
    deps: PipelineDeps, jira_fake: FakeServer, teams_fake: FakeServer
) -> None:
    incident, clock = new_incident("teams-fs"), Clock()
    runs = [
        packet(incident, run_id="r000000000001"),
        packet(incident, run_id="r000000000002", findings=[factories.finding(count=7)]),
        packet(incident, run_id="r000000000003", findings=[factories.finding(resource="other-fn")]),
        packet(incident, run_id="r000000000004"),
    ]
    statuses = []
    for pkt in runs:
        store(deps, pkt)
        results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, clock))
        statuses.append(_by_type(results)[ActionType.teams_notification].status)
    assert statuses == [
        ActionStatus.succeeded,
        ActionStatus.skipped,
        ActionStatus.succeeded,
        ActionStatus.succeeded,
    ]
    cards = teams_fake.app.cards  # type: ignore[attr-defined]
    assert len(cards) == 3 and teams_fake.app.violations == []
    # The card links the ticket (Jira ran first) and the Dagster run is absent without a run id.
    assert cards[0]["actions"][0]["url"].endswith("/browse/OPS-1")


def test_crash_after_the_card_is_never_resent(
    deps: PipelineDeps, jira_fake: FakeServer, teams_fake: FakeServer
) -> None:
    incident, clock = new_incident("teams-crash"), Clock()
    pkt = packet(incident)
    store(deps, pkt)
    with pytest.raises(SimulatedCrash):  # write 1 = Jira create, write 2 = the Teams card
        results_stage(
            deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, clock, CrashAfter(2))
        )
    assert len(teams_fake.app.cards) == 1  # type: ignore[attr-defined]
    clock.advance(300)  # past the Jira lease, within the Teams timeout
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, clock))
    assert _by_type(results)[ActionType.jira_ticket].status == ActionStatus.succeeded
    assert _by_type(results)[ActionType.teams_notification].status == ActionStatus.pending
    clock.advance(3600)
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, clock))
    teams = _by_type(results)[ActionType.teams_notification]
    assert teams.status == ActionStatus.skipped and "sent or lost" in teams.reason
    rows = ledger(deps).rows(incident)
    row = next(r for r in rows if r["action_type"] == "teams_notification" and r["run_id"] == pkt.run_id)
    assert row["status"] == "SENT_OR_LOST"
    # A later run with the same finding set does not notify either.
    later = packet(incident, run_id="r0000000000f1")
    store(deps, later)
    results, _ = results_stage(deps, incident, later.run_id, runtime=_runtime(jira_fake, teams_fake, clock))
    assert _by_type(results)[ActionType.teams_notification].status == ActionStatus.skipped
    assert len(teams_fake.app.cards) == 1 and len(jira_fake.app.issues) == 1  # type: ignore[attr-defined]


def test_definite_failure_releases_the_claim_and_a_retry_sends(
    deps: PipelineDeps, jira_fake: FakeServer, teams_fake: FakeServer
) -> None:
    incident, clock = new_incident("teams-500"), Clock()
    pkt = packet(incident)
    store(deps, pkt)
    teams_fake.app.fault("status", status=400)  # an answer that says "not done" (a 5xx would be uncertain)
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, clock))
    teams = _by_type(results)[ActionType.teams_notification]
    assert teams.status == ActionStatus.failed and teams.error and teams.error.code == "http_400"
    assert _by_type(results)[ActionType.jira_ticket].status == ActionStatus.succeeded
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, clock))
    teams = _by_type(results)[ActionType.teams_notification]
    assert teams.status == ActionStatus.succeeded and teams.attempt == 2
    assert len(teams_fake.app.cards) == 1  # type: ignore[attr-defined]


def test_five_500s_fail_jira_while_teams_still_runs(
    deps: PipelineDeps, jira_fake: FakeServer, teams_fake: FakeServer
) -> None:
    incident, clock = new_incident("jira-500"), Clock()
    pkt = packet(incident)
    store(deps, pkt)
    jira_fake.app.fault("status", status=500, times=5)
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, clock))
    jira = _by_type(results)[ActionType.jira_ticket]
    assert jira.status == ActionStatus.failed and jira.error and jira.error.code == "http_500"
    assert "5 attempt(s)" in jira.error.message
    assert _by_type(results)[ActionType.teams_notification].status == ActionStatus.succeeded
    assert len(jira_fake.app.log) == 5 and len(teams_fake.app.cards) == 1  # type: ignore[attr-defined]
    row = next(r for r in ledger(deps).rows(incident) if r["action_type"] == "jira_ticket")
    assert row["status"] == "FAILED" and row["error_code"] == "http_500"


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_5xx_after_the_card_was_posted_is_uncertain_and_never_resent(
    deps: PipelineDeps, jira_fake: FakeServer, teams_fake: FakeServer, status: int
) -> None:
    incident, clock = new_incident(f"teams-{status}"), Clock()
    pkt = packet(incident)
    store(deps, pkt)
    teams_fake.app.fault("commit_then_status", status=status)  # recorded, then a gateway times out
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, clock))
    teams = _by_type(results)[ActionType.teams_notification]
    assert teams.status == ActionStatus.failed and teams.error and teams.error.code == f"http_{status}"
    assert "not resent" in teams.reason
    clock.advance(3600)
    again, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, clock))
    assert _by_type(again)[ActionType.teams_notification].status == ActionStatus.skipped
    later = packet(incident, run_id="r0000000000e1")
    store(deps, later)
    results, _ = results_stage(deps, incident, later.run_id, runtime=_runtime(jira_fake, teams_fake, clock))
    assert _by_type(results)[ActionType.teams_notification].status == ActionStatus.skipped
    assert len(teams_fake.app.cards) == 1  # type: ignore[attr-defined]
    rows = ledger(deps).rows(incident)
    row = next(r for r in rows if r["action_type"] == "teams_notification" and r["run_id"] == pkt.run_id)
    assert row["status"] == "SENT_OR_LOST"
