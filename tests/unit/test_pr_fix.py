from __future__ import annotations

from typing import Any

from contracts.github import FixDecision, GitHubPRReviewEventV1
from opsrunbook_dagster.planning.pr_fix import plan_fix
from tests import factories


def _event(**overrides: Any) -> GitHubPRReviewEventV1:
    doc = factories.pr_review_event(
        body="Please fix:\n```suggestion\n- timeout: 6s\n```\n",
        inline={"path": "incidents/inc-1.md", "line": 12, "start_line": 11, "side": "RIGHT"},
        comment_id=99,
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
