"""Jira exactly once: the results stage against the Jira fake (real HTTP) and moto (ACTION rows)."""

from __future__ import annotations

import pytest

from contracts.actions import ActionFlags, ActionStatus, ActionType
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
    return PipelineDeps(target=aws, names=isolated(aws, "actjira-"))


def _runtime(jira: FakeServer, clock: Clock, crash: CrashAfter | None = None) -> ActionsRuntime:
    options = RuntimeOptions(policy=FAST, after_write=crash, now=clock, sleep=clock.advance)
    return ActionsRuntime(config=config(jira=jira.url), options=options)


def _jira(results):  # type: ignore[no-untyped-def]
    return next(r for r in results if r.action_type == ActionType.jira_ticket)


def test_crash_after_create_then_rerun_makes_exactly_one_ticket(
    deps: PipelineDeps, jira_fake: FakeServer
) -> None:
    incident = new_incident("crash-create")
    pkt = packet(incident)
    store(deps, pkt)
    clock = Clock()
    with pytest.raises(SimulatedCrash):
        results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, clock, CrashAfter(1)))
    row = ledger(deps).get(incident, _action_id(deps, incident, pkt.run_id))
    assert row and row["status"] == "PENDING" and row["attempt"] == 1
    assert len(jira_fake.app.issues) == 1  # type: ignore[attr-defined]

    # Immediately: the lease of the crashed attempt has not expired → reported as pending, nothing sent.
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, clock))
    assert _jira(results).status == ActionStatus.pending
    clock.advance(600)
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, clock))
    jira = _jira(results)
    assert jira.status == ActionStatus.succeeded and jira.attempt == 2
    assert (
        jira.external_ref
        and jira.external_ref.key == "OPS-1"
        and jira.external_ref.url.endswith("/browse/OPS-1")
    )
    assert len(jira_fake.app.issues) == 1  # type: ignore[attr-defined]
    assert len(jira_fake.app.requests_for("POST", "/rest/api/3/issue$")) == 1
    # A retried run of the same plan: answered from the SUCCEEDED row, no HTTP at all.
    before = len(jira_fake.app.log)
    again, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, clock))
    assert _jira(again).status == ActionStatus.succeeded and len(jira_fake.app.log) == before
    assert jira_fake.app.violations == []


def test_response_lost_after_the_server_created_the_ticket(deps: PipelineDeps, jira_fake: FakeServer) -> None:
    incident = new_incident("lost-response")
    pkt = packet(incident)
    store(deps, pkt)
    clock = Clock()
    jira_fake.app.fault("commit_then_reset", method="POST", path="/rest/api/3/issue$")
    first, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, clock))
    assert _jira(first).status == ActionStatus.failed and _jira(first).error.code == "connection_error"  # type: ignore[union-attr]
    second, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, clock))
    assert _jira(second).status == ActionStatus.succeeded and _jira(second).attempt == 2
    assert len(jira_fake.app.issues) == 1  # type: ignore[attr-defined]


def test_new_run_comments_only_when_the_finding_set_changed(
    deps: PipelineDeps, jira_fake: FakeServer
) -> None:
    incident = new_incident("fs-change")
    clock = Clock()
    first = packet(incident, run_id="r000000000001")
    store(deps, first)
    results_stage(deps, incident, first.run_id, runtime=_runtime(jira_fake, clock))
    same = packet(incident, run_id="r000000000002", findings=[factories.finding(count=99)])
    store(deps, same)
    results, _ = results_stage(deps, incident, same.run_id, runtime=_runtime(jira_fake, clock))
    assert "up to date" in _jira(results).reason
    issue = jira_fake.app.issues["OPS-1"]  # type: ignore[attr-defined]
    assert issue["comments"] == []

    changed = packet(incident, run_id="r000000000003", findings=[factories.finding(resource="other-fn")])
    plan = store(deps, changed)
    with pytest.raises(SimulatedCrash):  # crash right after the comment, before the label moved
        results_stage(deps, incident, changed.run_id, runtime=_runtime(jira_fake, clock, CrashAfter(1)))
    clock.advance(600)
    results, _ = results_stage(deps, incident, changed.run_id, runtime=_runtime(jira_fake, clock))
    assert (
        _jira(results).status == ActionStatus.succeeded and "comment already present" in _jira(results).reason
    )
    assert len(issue["comments"]) == 1
    assert f"opsrunbook-fs-{plan.finding_set_sha256[:12]}" in issue["fields"]["labels"]
    assert sum(label.startswith("opsrunbook-fs-") for label in issue["fields"]["labels"]) == 1
    assert len(jira_fake.app.issues) == 1 and jira_fake.app.violations == []  # type: ignore[attr-defined]


def test_dry_run_and_kill_switch_make_no_request(deps: PipelineDeps, jira_fake: FakeServer) -> None:
    incident = new_incident("dry")
    pkt = packet(incident)
    store(deps, pkt, ActionFlags(dry_run=True))
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, Clock()))
    assert _jira(results).status == ActionStatus.dry_run and _jira(results).request
    killed = packet(incident, run_id="r0000000000aa")
    store(deps, killed, ActionFlags(dry_run=False))
    results, _ = results_stage(
        deps,
        incident,
        killed.run_id,
        runtime=_runtime(jira_fake, Clock()),
        flags_now=ActionFlags(automation_enabled=False),
    )
    assert {r.status for r in results} == {ActionStatus.disabled, ActionStatus.skipped}
    assert jira_fake.app.log == []
    rows = {
        r["action_type"]: r["status"] for r in ledger(deps).rows(incident) if r["run_id"] == killed.run_id
    }
    assert rows["jira_ticket"] == "DISABLED"


def _action_id(deps: PipelineDeps, incident: str, run_id: str) -> str:
    from contracts.actions import ActionType, derive_action_id

    return derive_action_id(incident, run_id, ActionType.jira_ticket)
