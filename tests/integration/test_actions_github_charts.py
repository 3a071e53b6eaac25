"""Charts committed with the PR under incidents/<id>/ and embedded in the report, exactly once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contracts.actions import ActionFlags, ActionStatus, ActionType
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.factory import RuntimeOptions
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.github import GitHubFake
from opsrunbook_dagster.pipeline.actions import ActionsRuntime
from opsrunbook_dagster.pipeline.charts import stored_charts
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import results_stage
from tests.actions_support import (
    FAST,
    Clock,
    CrashAfter,
    SimulatedCrash,
    config,
    github_settings,
    new_incident,
    owners,
    store,
)
from tests.charts_support import chart_packet
from tests.conftest import isolated

pytestmark = pytest.mark.integration
PR_ON = ActionFlags(dry_run=False, github_pr_enabled=True)


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, "actghch-"))


def _runtime(github: FakeServer, clock: Clock, crash: CrashAfter | None = None) -> ActionsRuntime:
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
        results_stage(deps, incident, pkt.run_id, runtime=_runtime(github_fake, clock, CrashAfter(2)))
    clock.advance(600)
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=_runtime(github_fake, clock))
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
