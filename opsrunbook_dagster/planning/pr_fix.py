"""Turn a review on an OpsRunbook pull request into a deterministic fix plan.

Only ```suggestion blocks become edits (exactly the commented line range); ``/opsrunbook stop``
pauses automation on the PR; everything else needs a human. Bots (including this system) are
ignored, and only PRs whose head branch this system opened (``opsrunbook/…``) are acted on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from contracts.canonical import content_hash, short_hash
from contracts.github import FixDecision, GitHubPRReviewEventV1, PRFixPlanV1, ProposedEdit

SUGGESTION = re.compile(r"```suggestion[^\n]*\n(.*?)```", re.S)
STOP = re.compile(r"(?im)^\s*/opsrunbook\s+stop\b")


@dataclass(frozen=True)
class FixPolicy:
    branch_prefix: str = "opsrunbook/"
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


def plan_fix(event: GitHubPRReviewEventV1, policy: FixPolicy | None = None) -> PRFixPlanV1:
    policy = policy or FixPolicy()
    edits: list[ProposedEdit] = []
    if _is_bot(event, policy):
        decision, reason = FixDecision.ignore, f"comment by bot {event.author_login}"
    elif event.head_ref is not None and not event.head_ref.startswith(policy.branch_prefix):
        decision, reason = FixDecision.ignore, f"not an OpsRunbook pull request (head {event.head_ref})"
    elif STOP.search(event.body):
        decision, reason = FixDecision.pause, f"/opsrunbook stop by {event.author_login}"
    elif event.head_ref is None:
        decision, reason = FixDecision.requires_human, "head branch unknown for this event (issue comment)"
    else:
        edits = _edits(event)
        outside = sorted({e.path for e in edits if not e.path.startswith(policy.path_allowlist)})
        if not edits:
            decision, reason = FixDecision.requires_human, "no suggestion block to apply"
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
