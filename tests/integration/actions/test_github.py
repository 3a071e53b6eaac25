"""GitHub PRs exactly once, and the confidence gate with stack-frame verification (fakes + moto)."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest

from contracts.actions import ActionFlags, ActionStatus, ActionType
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.factory import RuntimeOptions
from opsrunbook_dagster.actions.render.markdown import incident_markdown
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.github import GitHubFake
from opsrunbook_dagster.pipeline.actions import ActionsRuntime, ledger
from opsrunbook_dagster.pipeline.charts import stored_charts
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import results_stage
from opsrunbook_dagster.stores.keys import results_key
from tests.actions_support import (
    FAST,
    JIRA_TOKEN,
    TEAMS_SIG,
    Clock,
    CrashAfter,
    SimulatedCrash,
    config,
    github_settings,
    new_incident,
    owners,
    packet,
    store,
    store_logs,
)
from tests.charts_support import chart_packet
from tests.conftest import isolated

pytestmark = pytest.mark.integration
PR_ON = ActionFlags(dry_run=False, github_pr_enabled=True)
TRACE = 'Traceback (most recent call last):\n  File "/var/task/app/handlers/refund.py", line 42, in handle\nTypeError: x'


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, "actgh-"))


def _runtime(
    jira: FakeServer, teams: FakeServer, github: FakeServer, clock: Clock, crash: CrashAfter | None = None
) -> ActionsRuntime:
    options = RuntimeOptions(policy=FAST, after_write=crash, now=clock, sleep=clock.advance)
    cfg = config(jira=jira.url, teams=teams.url, github=github_settings(github))
    return ActionsRuntime(config=cfg, options=options)


def _by_type(results):  # type: ignore[no-untyped-def]
    return {r.action_type: r for r in results}


def _fakes(jira: FakeServer, teams: FakeServer, github: FakeServer) -> GitHubFake:
    app: GitHubFake = github.app  # type: ignore[assignment]
    app.add_repo("acme/refunds-service", {"app/handlers/refund.py": "def handle(): ...\n"})
    app.add_repo("acme/refunds-api", {"README.md": "x"})
    return app


def test_pr_is_opened_with_file_labels_and_links(
    deps: PipelineDeps, jira_fake: FakeServer, teams_fake: FakeServer, github_fake: FakeServer
) -> None:
    gh = _fakes(jira_fake, teams_fake, github_fake)
    incident, clock = new_incident("gh-open"), Clock()
    pkt = packet(incident, suspected_owners=owners(("acme/refunds-service", 0.95, "mapping")))
    store(deps, pkt, PR_ON)
    results, _ = results_stage(
        deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, github_fake, clock)
    )
    pr = _by_type(results)[ActionType.github_pr]
    assert pr.status == ActionStatus.succeeded, pr.reason
    assert pr.external_ref and pr.external_ref.key == "acme/refunds-service#1"
    repo = gh.repos["acme/refunds-service"]
    pull = repo.pulls[0]
    assert pull["head"] == f"opsrunbook/incident-{incident}" and pull["base"] == "main"
    assert pull["labels"] == ["opsrunbook", "severity:critical"]
    assert "/browse/OPS-1" in pull["body"]  # the Jira link (Jira ran first)
    assert gh.file_text(
        "acme/refunds-service", f"incidents/{incident}.md", pull["head"]
    ) == incident_markdown(pkt)
    card = teams_fake.app.cards[0]  # type: ignore[attr-defined]
    assert any(a["url"] == pr.external_ref.url for a in card["actions"])
    assert gh.violations == [] and jira_fake.app.violations == [] and teams_fake.app.violations == []


@pytest.mark.parametrize("crash_at", [2, 3, 4, 5])
def test_crash_after_any_github_write_then_rerun_makes_exactly_one_pr(
    crash_at: int, deps: PipelineDeps, jira_fake: FakeServer, teams_fake: FakeServer, github_fake: FakeServer
) -> None:
    """Writes: 1 Jira issue, 2 branch, 3 file, 4 pull request, 5 labels, 6 Teams card."""
    gh = _fakes(jira_fake, teams_fake, github_fake)
    incident, clock = new_incident(f"gh-crash-{crash_at}"), Clock()
    pkt = packet(incident, suspected_owners=owners(("acme/refunds-service", 0.95, "mapping")))
    store(deps, pkt, PR_ON)
    crash = CrashAfter(crash_at)
    with pytest.raises(SimulatedCrash):
        results_stage(
            deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, github_fake, clock, crash)
        )
    assert crash.seen[-1].startswith("github")
    clock.advance(600)
    results, _ = results_stage(
        deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, github_fake, clock)
    )
    assert {r.action_type: r.status for r in results} == {
        ActionType.jira_ticket: ActionStatus.succeeded,
        ActionType.github_pr: ActionStatus.succeeded,
        ActionType.teams_notification: ActionStatus.succeeded,
    }
    repo = gh.repos["acme/refunds-service"]
    assert len(repo.pulls) == 1 and len(repo.branches) == 2
    assert len(gh.requests_for("POST", "/pulls$")) == 1
    assert repo.pulls[0]["labels"] == ["opsrunbook", "severity:critical"]
    assert len(jira_fake.app.issues) == 1 and len(teams_fake.app.cards) == 1  # type: ignore[attr-defined]
    assert gh.violations == []


def test_response_lost_after_the_pr_was_created(
    deps: PipelineDeps, jira_fake: FakeServer, teams_fake: FakeServer, github_fake: FakeServer
) -> None:
    gh = _fakes(jira_fake, teams_fake, github_fake)
    incident, clock = new_incident("gh-lost"), Clock()
    pkt = packet(incident, suspected_owners=owners(("acme/refunds-service", 0.95, "mapping")))
    store(deps, pkt, PR_ON)
    gh.fault("commit_then_reset", method="POST", path="/pulls$")
    first, _ = results_stage(
        deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, github_fake, clock)
    )
    assert _by_type(first)[ActionType.github_pr].status == ActionStatus.failed
    second, _ = results_stage(
        deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, github_fake, clock)
    )
    pr = _by_type(second)[ActionType.github_pr]
    assert pr.status == ActionStatus.succeeded and "PR #1 found" in pr.reason
    assert len(gh.repos["acme/refunds-service"].pulls) == 1


def test_gate_trace_verification_lifts_a_heuristic_owner(
    deps: PipelineDeps, jira_fake: FakeServer, teams_fake: FakeServer, github_fake: FakeServer
) -> None:
    gh = _fakes(jira_fake, teams_fake, github_fake)
    clock = Clock()
    candidates = owners(("acme/refunds-api", 0.5, "heuristic"), ("acme/refunds-service", 0.5, "heuristic"))
    verified = new_incident("gh-trace")
    pkt = packet(verified, suspected_owners=candidates)
    store(deps, pkt, PR_ON)
    store_logs(deps, verified, pkt.run_id, [TRACE])
    results, _ = results_stage(
        deps, verified, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, github_fake, clock)
    )
    pr = _by_type(results)[ActionType.github_pr]
    assert pr.status == ActionStatus.succeeded, pr.reason
    assert "acme/refunds-service at 0.85 (trace)" in pr.reason and "app/handlers/refund.py" in pr.reason
    assert len(gh.repos["acme/refunds-service"].pulls) == 1 and gh.repos["acme/refunds-api"].pulls == []

    unverified = new_incident("gh-notrace")
    other = packet(unverified, suspected_owners=candidates)
    store(deps, other, PR_ON)
    store_logs(deps, unverified, other.run_id, ['  File "/var/task/lib/nowhere.py", line 1, in x'])
    results, _ = results_stage(
        deps, unverified, other.run_id, runtime=_runtime(jira_fake, teams_fake, github_fake, clock)
    )
    pr = _by_type(results)[ActionType.github_pr]
    assert (
        pr.status == ActionStatus.skipped
        and "below 0.7" in pr.reason
        and "none of 1 stack frame" in pr.reason
    )

    quiet = new_incident("gh-noframes")
    third = packet(quiet, suspected_owners=candidates)
    store(deps, third, PR_ON)
    store_logs(deps, quiet, third.run_id, ["Task timed out after 3.00 seconds"])
    results, _ = results_stage(
        deps, quiet, third.run_id, runtime=_runtime(jira_fake, teams_fake, github_fake, clock)
    )
    assert "no application stack frames" in _by_type(results)[ActionType.github_pr].reason
    assert gh.violations == []


def test_secrets_never_reach_logs_results_or_rows(
    deps: PipelineDeps,
    jira_fake: FakeServer,
    teams_fake: FakeServer,
    github_fake: FakeServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    gh = _fakes(jira_fake, teams_fake, github_fake)
    incident, clock = new_incident("gh-secrets"), Clock()
    pkt = packet(incident, suspected_owners=owners(("acme/refunds-service", 0.95, "mapping")))
    store(deps, pkt, PR_ON)
    teams_fake.app.fault("reset")  # an error path too: its message must be clean
    results_stage(deps, incident, pkt.run_id, runtime=_runtime(jira_fake, teams_fake, github_fake, clock))
    stored = deps.objects.get_bytes(results_key(incident, pkt.run_id)).decode()
    rows = json.dumps(ledger(deps).rows(incident, "A") + ledger(deps).rows(incident, "N"), default=str)
    secrets = [JIRA_TOKEN, TEAMS_SIG, gh.private_key_b64[:60], *gh.tokens]
    for haystack in (caplog.text, stored, rows):
        for secret in secrets:
            assert secret not in haystack
    assert "teams-webhook" in stored  # the error names the webhook without its URL


def test_dry_run_and_kill_switch_send_nothing_to_any_fake(
    deps: PipelineDeps, jira_fake: FakeServer, teams_fake: FakeServer, github_fake: FakeServer
) -> None:
    _fakes(jira_fake, teams_fake, github_fake)
    clock = Clock()
    mapped = owners(("acme/refunds-service", 0.95, "mapping"))
    dry = packet(new_incident("gh-dry"), suspected_owners=mapped)
    store(deps, dry, ActionFlags(dry_run=True, github_pr_enabled=True))
    results, _ = results_stage(
        deps, dry.incident_id, dry.run_id, runtime=_runtime(jira_fake, teams_fake, github_fake, clock)
    )
    assert {r.status for r in results} == {ActionStatus.dry_run}
    pr = _by_type(results)[ActionType.github_pr].request
    assert pr and pr["path"] == "/repos/acme/refunds-service/pulls" and len(pr["preceded_by"]) == 2
    # Live plan, but the kill switch is off *now*: nothing is sent either.
    live = packet(new_incident("gh-killed"), suspected_owners=mapped)
    store(deps, live, PR_ON)
    results, _ = results_stage(
        deps,
        live.incident_id,
        live.run_id,
        runtime=_runtime(jira_fake, teams_fake, github_fake, clock),
        flags_now=ActionFlags(automation_enabled=False),
    )
    assert {r.status for r in results} == {ActionStatus.disabled}
    assert jira_fake.app.log == [] and teams_fake.app.log == [] and github_fake.app.log == []


# ---- charts: committed under incidents/<id>/ and embedded in the report, exactly once -------------


def _github_only(github: FakeServer, clock: Clock, crash: CrashAfter | None = None) -> ActionsRuntime:
    options = RuntimeOptions(policy=replace(FAST, read_timeout=20.0), after_write=crash, now=clock)
    return ActionsRuntime(config=config(github=github_settings(github)), options=options)


def test_charts_are_committed_once_and_linked_relatively_from_the_report(
    deps: PipelineDeps, github_fake: FakeServer
) -> None:
    gh: GitHubFake = github_fake.app  # type: ignore[assignment]
    gh.add_repo("acme/fleet", {"README.md": "x"})
    incident, clock = new_incident("gh-charts"), Clock()
    doc = chart_packet(deps, incident).model_dump(mode="json", exclude={"packet_hashes"})
    doc["suspected_owners"] = owners(("acme/fleet", 0.95, "mapping"))
    pkt = IncidentPacketV1.model_validate(doc).with_hashes()
    store(deps, pkt, PR_ON)
    with pytest.raises(SimulatedCrash):  # writes: 1 branch, 2 the chart, then crash before the report
        results_stage(deps, incident, pkt.run_id, runtime=_github_only(github_fake, clock, CrashAfter(2)))
    clock.advance(600)
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_github_only(github_fake, clock))
    pr = next(r for r in results if r.action_type == ActionType.github_pr)
    assert pr.status == ActionStatus.succeeded, pr.reason
    (chart,) = stored_charts(deps, pkt)
    branch = f"opsrunbook/incident-{incident}"
    repo = gh.repos["acme/fleet"]
    path = f"incidents/{incident}/{chart.filename}"
    assert repo.trees[repo.branches[branch]][path] == chart.png
    report = gh.file_text("acme/fleet", f"incidents/{incident}.md", branch) or ""
    assert f"]({incident}/{chart.filename})" in report
    puts = [r.path for r in gh.requests_for("PUT", r"/contents/")]
    assert puts.count(f"/repos/acme/fleet/contents/{path}") == 1 and len(repo.pulls) == 1
    assert gh.violations == []
