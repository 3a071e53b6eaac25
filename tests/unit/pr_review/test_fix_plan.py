from __future__ import annotations

from typing import Any

import pytest

from contracts.github import FixDecision, GitHubPRReviewEventV1
from opsrunbook_dagster.pr_review.fix_plan import FixPolicy, plan_fix
from tests import factories


def _event(**overrides: Any) -> GitHubPRReviewEventV1:
    doc = factories.pr_review_event(
        body="Please fix:\n```suggestion\n- timeout: 6s\n```\n",
        inline={"path": "incidents/inc-1.md", "line": 12, "start_line": 11, "side": "RIGHT"},
        comment_id=99,
        author_association="MEMBER",
        head_repo="acme/payment-gateway",
    )
    doc.update(overrides)
    return GitHubPRReviewEventV1.model_validate(doc)


def test_suggestion_becomes_an_exact_edit_of_the_commented_range() -> None:
    plan = plan_fix(_event())
    assert plan.decision == FixDecision.apply
    assert [(e.path, e.start_line, e.end_line, e.replacement, e.comment_id) for e in plan.edits] == [
        ("incidents/inc-1.md", 11, 12, "- timeout: 6s\n", 99)
    ]
    assert plan_fix(_event()).plan_id == plan.plan_id  # deterministic


def test_stop_command_pauses_and_bots_and_foreign_prs_are_ignored() -> None:
    assert plan_fix(_event(body="/opsrunbook stop please")).decision == FixDecision.pause
    assert plan_fix(_event(author_login="opsrunbook[bot]", author_type="Bot")).decision == FixDecision.ignore
    foreign = plan_fix(_event(head_ref="feature/x"))
    assert foreign.decision == FixDecision.ignore and "not an OpsRunbook" in foreign.reason


def test_everything_else_needs_a_human() -> None:
    assert plan_fix(_event(body="looks wrong to me")).decision == FixDecision.requires_human
    outside = plan_fix(_event(inline={"path": "src/app.py", "line": 3}))
    assert (
        outside.decision == FixDecision.requires_human
        and "src/app.py" in outside.reason
        and outside.edits == []
    )
    assert plan_fix(_event(head_ref=None)).decision == FixDecision.requires_human


@pytest.mark.parametrize(
    "association", ["CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "NONE", None]
)
def test_only_people_with_write_access_drive_the_cycle(association: str | None) -> None:
    """Before: any GitHub user's suggestion on the PR was planned as apply."""
    plan = plan_fix(_event(author_association=association))
    assert plan.decision == FixDecision.ignore and plan.edits == []
    assert "write access" in plan.reason
    assert (
        plan_fix(_event(author_association=association, body="/opsrunbook stop")).decision
        == FixDecision.ignore
    )
    for trusted in ("OWNER", "MEMBER", "COLLABORATOR"):
        assert plan_fix(_event(author_association=trusted)).decision == FixDecision.apply


def test_a_pull_request_from_a_fork_is_ignored() -> None:
    plan = plan_fix(_event(head_repo="mallory/payment-gateway"))
    assert plan.decision == FixDecision.ignore and "fork" in plan.reason and plan.edits == []


@pytest.mark.parametrize(
    "path",
    [
        "incidents/../.github/workflows/ci.yml",
        "runbooks/../../etc/passwd",
        "incidents/./inc-1.md",
        "/incidents/inc-1.md",
        "incidents\\..\\.github\\workflows\\ci.yml",
        "incidents//inc-1.md",
    ],
)
def test_paths_are_normalised_before_the_allowlist(path: str) -> None:
    """Before: `incidents/../.github/workflows/ci.yml` started with `incidents/` and was applied."""
    plan = plan_fix(_event(inline={"path": path, "line": 3}))
    assert plan.decision == FixDecision.requires_human and plan.edits == []


@pytest.mark.parametrize(
    "path",
    [
        ".github/workflows/ci.yml",
        ".github/actions/setup/action.yml",
        ".circleci/config.yml",
        ".gitlab-ci.yml",
        "Jenkinsfile",
        "incidents/Jenkinsfile",
        ".buildkite/pipeline.yml",
        "azure-pipelines.yml",
        ".travis.yml",
        "bitbucket-pipelines.yml",
        "buildspec.yml",
    ],
)
def test_ci_configuration_is_refused_even_when_allowlisted(path: str) -> None:
    policy = FixPolicy(path_allowlist=("", "incidents/"))  # "" allows everything
    plan = plan_fix(_event(inline={"path": path, "line": 3}), policy)
    assert plan.decision == FixDecision.requires_human and "CI configuration" in plan.reason


def test_overlapping_edits_are_refused() -> None:
    """Two suggestion blocks on one range: before, both were applied to the same lines."""
    body = "```suggestion\na\n```\nor\n```suggestion\nb\n```"
    plan = plan_fix(_event(body=body))
    assert plan.decision == FixDecision.requires_human and "overlapping" in plan.reason and plan.edits == []


def test_a_stopped_pull_request_stays_paused_until_resume() -> None:
    paused = plan_fix(_event(), stopped=True)
    assert paused.decision == FixDecision.pause and paused.edits == [] and "paused" in paused.reason
    assert plan_fix(_event(body="/opsrunbook resume"), stopped=True).decision == FixDecision.resume
    assert plan_fix(_event(), stopped=False).decision == FixDecision.apply
