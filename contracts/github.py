"""GitHub PR review events and the fix plans derived from them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from contracts.base import LongText, Name, Sha256, ShortText, StrictModel, UtcDatetime

#: head branches of the pull requests this system opens; reviews on any other PR are never acted on
BRANCH_PREFIX = "opsrunbook/"

RepoName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]


class ReviewEventName(StrEnum):
    pull_request_review = "pull_request_review"
    pull_request_review_comment = "pull_request_review_comment"
    issue_comment = "issue_comment"


#: Code and comment text keep their whitespace exactly (indentation and trailing newlines are edits too).
_VERBATIM = ConfigDict(extra="forbid", str_strip_whitespace=False, populate_by_name=True)


class InlineContext(StrictModel):
    model_config = _VERBATIM
    path: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    line: int | None = None
    original_line: int | None = None
    start_line: int | None = None
    original_start_line: int | None = None
    side: Literal["LEFT", "RIGHT"] | None = None
    diff_hunk: LongText | None = None
    commit_id: Name | None = None


class GitHubPRReviewEventV1(StrictModel):
    model_config = _VERBATIM
    schema_version: Literal["github_pr_review_event.v1"] = "github_pr_review_event.v1"
    delivery_id: Name
    event: ReviewEventName
    action: Name
    repo: RepoName
    pr_number: int
    head_ref: Name | None = None
    head_sha: Name | None = None
    author_login: Name
    author_type: Name = "User"
    author_association: Name | None = Field(
        default=None, description="GitHub's OWNER/MEMBER/COLLABORATOR/CONTRIBUTOR/NONE/...; None: unknown."
    )
    head_repo: RepoName | None = Field(
        default=None, description="The PR head's repository (a fork when != repo)."
    )
    body: Annotated[str, StringConstraints(max_length=65536)] = ""
    review_state: Name | None = None
    review_id: int | None = None
    comment_id: int | None = None
    inline: InlineContext | None = None
    html_url: str | None = None
    received_at: UtcDatetime | None = None


class FixDecision(StrEnum):
    apply = "apply"
    pause = "pause"
    resume = "resume"
    requires_human = "requires_human"
    ignore = "ignore"


class ProposedEdit(StrictModel):
    model_config = _VERBATIM
    path: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    replacement: Annotated[str, StringConstraints(max_length=65536)]
    comment_id: int | None = None


class PRFixPlanV1(StrictModel):
    schema_version: Literal["pr_fix_plan.v1"] = "pr_fix_plan.v1"
    plan_id: Name
    delivery_id: Name
    repo: RepoName
    pr_number: int
    head_ref: Name | None = None
    head_sha: Name | None = Field(default=None, description="Branch tip the plan was made against.")
    decision: FixDecision
    reason: ShortText
    edits: list[ProposedEdit] = Field(default_factory=list)
    event_sha256: Sha256 | None = None
