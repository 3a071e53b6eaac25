"""Turn a review on an OpsRunbook pull request into a deterministic fix plan.

Only ```suggestion blocks become edits (exactly the commented line range); ``/opsrunbook stop``
pauses automation on the PR; everything else needs a human. Bots (including this system) are
ignored, and only PRs whose head branch this system opened (``opsrunbook/…``) are acted on.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from contracts.canonical import content_hash, short_hash
from contracts.github import BRANCH_PREFIX, FixDecision, GitHubPRReviewEventV1, PRFixPlanV1, ProposedEdit
from opsrunbook_dagster.pr_review.edit_paths import refusal

SUGGESTION = re.compile(r"```suggestion[^\n]*\n(.*?)```", re.S)
STOP = re.compile(r"(?im)^\s*/opsrunbook\s+stop\b")
RESUME = re.compile(r"(?im)^\s*/opsrunbook\s+resume\b")
#: GitHub's author_association values of people with write access to the repository
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


@dataclass(frozen=True)
class FixPolicy:
    branch_prefix: str = BRANCH_PREFIX
    path_allowlist: tuple[str, ...] = ("incidents/", "runbooks/")
    max_edits: int = 20
    bot_logins: frozenset[str] = field(default_factory=lambda: frozenset({"opsrunbook[bot]"}))


def _is_bot(event: GitHubPRReviewEventV1, policy: FixPolicy) -> bool:
    return (
        event.author_type == "Bot"
        or event.author_login.endswith("[bot]")
        or event.author_login in policy.bot_logins
    )


def _edits(event: GitHubPRReviewEventV1) -> list[ProposedEdit]:
    inline = event.inline
    if inline is None or inline.line is None:
        return []
    start = inline.start_line or inline.line
    edits = []
    for block in SUGGESTION.findall(event.body.replace("\r\n", "\n")):
        edits.append(
            ProposedEdit(
                path=inline.path,
                start_line=start,
                end_line=inline.line,
                replacement=block,
                comment_id=event.comment_id,
            )
        )
    return edits


def _overlapping(edits: list[ProposedEdit]) -> str | None:
    ordered = sorted(edits, key=lambda e: (e.path, e.start_line, e.end_line))
    for before, after in itertools.pairwise(ordered):
        if before.path == after.path and after.start_line <= before.end_line:
            return f"overlapping edits of {after.path} lines {after.start_line}-{before.end_line}"
    return None


def _untrusted(event: GitHubPRReviewEventV1, policy: FixPolicy) -> str | None:
    """Why this commenter or pull request may not drive the cycle at all, or None."""
    if _is_bot(event, policy):
        return f"comment by bot {event.author_login}"
    if event.head_ref is not None and not event.head_ref.startswith(policy.branch_prefix):
        return f"not an OpsRunbook pull request (head {event.head_ref})"
    if event.author_association not in TRUSTED_ASSOCIATIONS:
        return f"{event.author_login} has no write access (author_association {event.author_association})"
    if event.head_repo is not None and event.head_repo != event.repo:
        return f"head repository {event.head_repo} is not {event.repo} (fork)"
    return None


def plan_fix(
    event: GitHubPRReviewEventV1, policy: FixPolicy | None = None, *, stopped: bool = False
) -> PRFixPlanV1:
    """``stopped``: ``/opsrunbook stop`` is in force on this PR (until ``/opsrunbook resume``)."""
    policy = policy or FixPolicy()
    edits: list[ProposedEdit] = []
    untrusted = _untrusted(event, policy)
    if untrusted is not None:
        decision, reason = FixDecision.ignore, untrusted
    elif STOP.search(event.body):
        decision, reason = FixDecision.pause, f"/opsrunbook stop by {event.author_login}"
    elif RESUME.search(event.body):
        decision, reason = FixDecision.resume, f"/opsrunbook resume by {event.author_login}"
    elif stopped:
        decision, reason = FixDecision.pause, "paused: /opsrunbook stop is in force on this pull request"
    elif event.head_ref is None:
        decision, reason = FixDecision.requires_human, "head branch unknown for this event (issue comment)"
    else:
        edits = _edits(event)
        outside = sorted({r for e in edits if (r := refusal(e.path, policy.path_allowlist)) is not None})
        overlap = _overlapping(edits)
        if not edits:
            decision, reason = FixDecision.requires_human, "no suggestion block to apply"
        elif overlap:
            decision, reason, edits = FixDecision.requires_human, overlap, []
        elif outside:
            decision, reason, edits = (
                FixDecision.requires_human,
                f"path not allowed for automatic edits: {', '.join(outside)}",
                [],
            )
        elif len(edits) > policy.max_edits:
            decision, reason, edits = (
                FixDecision.requires_human,
                f"{len(edits)} edits exceed the limit of {policy.max_edits}",
                [],
            )
        else:
            decision, reason = FixDecision.apply, f"{len(edits)} suggestion(s) from {event.author_login}"
    event_sha = content_hash(event)
    return PRFixPlanV1(
        plan_id="pf-" + short_hash(event.delivery_id, event_sha, length=16),
        delivery_id=event.delivery_id,
        repo=event.repo,
        pr_number=event.pr_number,
        head_ref=event.head_ref,
        head_sha=event.head_sha or (event.inline.commit_id if event.inline else None),
        decision=decision,
        reason=reason[:1024],
        edits=edits,
        event_sha256=event_sha,
    )
