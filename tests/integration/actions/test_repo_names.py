"""Repository names are data, never paths: a service named ``x/../../evil/loot`` must not make
the GitHub action touch any repository but the ones it resolved (fakes + moto)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from contracts.actions import ActionFlags, ActionStatus, ActionType
from contracts.packet import Finding, SuspectedOwner
from opsrunbook_dagster.actions.factory import RuntimeOptions
from opsrunbook_dagster.analysis.narrative import suspected_owners
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.github import GitHubFake
from opsrunbook_dagster.pipeline.actions import ActionsRuntime
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import results_stage
from opsrunbook_dagster.resolution.repo_map import RepoMapError, copy_repo_map, parse_repo_map
from tests import factories
from tests.actions_support import (
    FAST,
    Clock,
    config,
    github_settings,
    new_incident,
    packet,
    store,
    store_logs,
)
from tests.conftest import isolated

pytestmark = pytest.mark.integration
HOSTILE = "x/../../evil/loot"
TRACE = 'Traceback (most recent call last):\n  File "/var/task/app/handlers/refund.py", line 42, in h\nTypeError: x'


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, "actrepo-"))


def test_hostile_service_name_reaches_no_other_repository(
    deps: PipelineDeps, github_fake: FakeServer, tmp_path: Path
) -> None:
    gh: GitHubFake = github_fake.app  # type: ignore[assignment]
    gh.add_repo("evil/loot", {"app/handlers/refund.py": "x = 1\n"})
    gh.add_repo("acme/refunds", {"README.md": "x"})
    repo_map = tmp_path / "repo-map.yaml"
    repo_map.write_text("version: 1\ndefault_org: acme\nrepos: [acme/refunds]\n", encoding="utf-8")
    findings = [Finding.model_validate(factories.finding(resource=f"/aws/lambda/{HOSTILE}"))]
    resolved = suspected_owners(HOSTILE, findings, copy_repo_map(str(repo_map)))
    owners = [o.model_dump(exclude_none=True) for o in resolved]
    incident = new_incident("repo-traversal")
    pkt = packet(incident, service="loot", suspected_owners=owners)
    store(deps, pkt, ActionFlags(dry_run=False, github_pr_enabled=True))
    store_logs(deps, incident, pkt.run_id, [TRACE])
    runtime = ActionsRuntime(
        config=config(github=github_settings(github_fake)), options=RuntimeOptions(policy=FAST, now=Clock())
    )
    results, _ = results_stage(deps, incident, pkt.run_id, runtime=runtime)
    pr = next(r for r in results if r.action_type == ActionType.github_pr)
    outside = [
        r.path for r in gh.log if r.path.startswith("/repos/") and not r.path.startswith("/repos/acme/")
    ]
    assert outside == [], outside
    assert gh.repos["evil/loot"].pulls == [] and gh.repos["evil/loot"].branches.keys() == {"main"}
    assert pr.status in (ActionStatus.skipped, ActionStatus.failed), pr.reason


@pytest.mark.parametrize(
    "repo",
    ["x/../../evil/loot", "acme/..", "acme/x/y", "../loot", "acme/lo ot", "acme/%2e%2e", "acme/", "/loot"],
)
def test_contract_and_map_reject_path_like_repository_names(repo: str) -> None:
    with pytest.raises(ValidationError, match="repo"):
        SuspectedOwner(repo=repo, confidence=0.9, method="mapping")
    rule = f"rules:\n  - repo: '{repo}'\n    match: {{service: x}}\n"
    with pytest.raises(RepoMapError, match="owner/name"):
        parse_repo_map(rule)
    with pytest.raises(RepoMapError, match="owner/name"):
        parse_repo_map(f"repos: ['{repo}']\n")


def test_clients_refuse_path_like_names_before_any_request(
    github_fake: FakeServer, jira_fake: FakeServer
) -> None:
    from opsrunbook_dagster.clients.github import GitHubClient
    from opsrunbook_dagster.clients.github_app import AppAuth
    from opsrunbook_dagster.clients.http import UnsafePathError
    from opsrunbook_dagster.clients.jira import JiraClient

    gh: GitHubFake = github_fake.app  # type: ignore[assignment]
    gh.add_repo("evil/loot", {"a.py": "x"})
    cfg = config(jira=jira_fake.url, github=github_settings(github_fake))
    github = config_github = cfg.github()
    assert not isinstance(config_github, str)
    client = GitHubClient(AppAuth(config_github, FAST), FAST)
    for call in (
        lambda: client.exists(HOSTILE, "a.py"),
        lambda: client.exists("evil/loot", "../../../repos/evil/loot/contents/a.py"),
        lambda: client.branch_sha("evil/loot", "x/../../../evil"),
        lambda: client.send("evil/loot", {"method": "GET", "path": "/repos/evil/loot/../other/x"}),
        lambda: client.send("evil/loot", {"method": "GET", "path": "/repos/other/x/pulls"}),
    ):
        with pytest.raises(UnsafePathError):
            call()
    jira_config = cfg.jira()
    assert not isinstance(jira_config, str) and github is not None
    jira = JiraClient(jira_config, FAST)
    with pytest.raises(UnsafePathError):
        jira.comments("..")
    assert jira.browse_url("OPS-1/../../x").endswith("/browse/OPS-1%2F..%2F..%2Fx")
    assert gh.log == [] and jira_fake.app.log == []
