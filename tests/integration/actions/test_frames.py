"""Stack-frame verification for container and CI traces (ECS, Kubernetes, GitHub Actions runners),
against the GitHub fake holding the file at its repository-relative path (fakes + moto)."""

from __future__ import annotations

import pytest

from contracts.actions import ActionFlags, ActionStatus, ActionType
from opsrunbook_dagster.actions.factory import RuntimeOptions
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.github import GitHubFake
from opsrunbook_dagster.pipeline.actions import ActionsRuntime
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import results_stage
from opsrunbook_dagster.resolution.gate import MAX_LOOKUPS
from tests import actions_support as support
from tests.conftest import isolated

pytestmark = pytest.mark.integration
PR_ON = ActionFlags(dry_run=False, github_pr_enabled=True)
REPO = "acme/refunds"

FORMS = {
    "ecs-node": ("src/index.js", "TypeError: x\n    at handle (/usr/src/app/src/index.js:12:5)"),
    "container-python": (
        "lib/util.py",
        'Traceback (most recent call last):\n  File "/app/lib/util.py", line 3, in f',
    ),
    "ci-runner": (
        "src/main.py",
        'Traceback (most recent call last):\n  File "/home/runner/work/refunds/refunds/src/main.py", line 9, in m',
    ),
    "relative": (
        "relative/path.py",
        'Traceback (most recent call last):\n  File "./relative/path.py", line 1, in r',
    ),
    "unknown-root": (
        "handlers/refund.py",
        'Traceback (most recent call last):\n  File "/srv/deploy/current/handlers/refund.py", line 4, in h',
    ),
}


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, "actframes-"))


def _run(deps: PipelineDeps, github: FakeServer, tag: str, lines: list[str]):  # type: ignore[no-untyped-def]
    incident = support.new_incident(tag)
    pkt = support.packet(incident, suspected_owners=support.owners((REPO, 0.5, "heuristic")))
    support.store(deps, pkt, PR_ON)
    support.store_logs(deps, incident, pkt.run_id, lines)
    runtime = ActionsRuntime(
        config=support.config(github=support.github_settings(github)),
        options=RuntimeOptions(policy=support.FAST, now=support.Clock()),
    )
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=runtime)
    return next(r for r in results if r.action_type == ActionType.github_pr)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_container_and_ci_frames_verify_against_the_repository(
    deps: PipelineDeps, github_fake: FakeServer, form: str
) -> None:
    path, trace = FORMS[form]
    gh: GitHubFake = github_fake.app  # type: ignore[assignment]
    gh.add_repo(REPO, {path: "x\n"})
    pr = _run(deps, github_fake, f"frames-{form}", [trace])
    assert pr.status == ActionStatus.succeeded, pr.reason
    assert f"is {path} in {REPO}" in pr.reason and "(trace)" in pr.reason
    assert len(gh.repos[REPO].pulls) == 1 and gh.violations == []


def test_lookups_are_bounded_per_resolution(deps: PipelineDeps, github_fake: FakeServer) -> None:
    gh: GitHubFake = github_fake.app  # type: ignore[assignment]
    gh.add_repo(REPO, {"README.md": "x"})
    gh.add_repo("acme/refunds-api", {"README.md": "x"})
    deep = "/".join(f"d{i}" for i in range(12))
    lines = [f'  File "/srv/{deep}/mod{n}.py", line {n}, in f' for n in range(1, 30)]
    incident = support.new_incident("frames-bound")
    pkt = support.packet(
        incident,
        suspected_owners=support.owners((REPO, 0.5, "heuristic"), ("acme/refunds-api", 0.5, "heuristic")),
    )
    support.store(deps, pkt, PR_ON)
    support.store_logs(deps, incident, pkt.run_id, lines)
    runtime = ActionsRuntime(
        config=support.config(github=support.github_settings(github_fake)),
        options=RuntimeOptions(policy=support.FAST, now=support.Clock()),
    )
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=runtime)
    pr = next(r for r in results if r.action_type == ActionType.github_pr)
    assert pr.status == ActionStatus.skipped
    lookups = gh.requests_for("GET", r"/contents/")
    assert 0 < len(lookups) <= MAX_LOOKUPS
