"""Which GitHub events matter, and their normalization into ``GitHubPRReviewEventV1``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from pydantic import ValidationError

from contracts.github import BRANCH_PREFIX, GitHubPRReviewEventV1
from contracts.registry import first_error

#: event → actions that become a PR review request; everything else is acknowledged and ignored.
ACCEPTED: dict[str, frozenset[str]] = {
    "pull_request_review": frozenset({"submitted"}),
    "pull_request_review_comment": frozenset({"created", "edited"}),
    "issue_comment": frozenset({"created"}),
}
DIFF_HUNK_MAX = 16384
#: what the fix planner acts on: a suggestion block or an /opsrunbook command
ACTIONABLE = re.compile(r"(?im)```suggestion|^\s*/opsrunbook\s+\w")


class PayloadError(ValueError):
    """A signed delivery whose body is not the payload its event promises."""


@dataclass(frozen=True)
class Ignored:
    reason: str


def parse_payload(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The JSON payload, from ``application/json`` or the form encoding (``payload=<json>``)."""
    try:
        if (content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
            values = parse_qs(body.decode("utf-8"), strict_parsing=False).get("payload")
            if not values:
                raise PayloadError("body: form-encoded delivery without a payload field")
            payload = json.loads(values[0])
        else:
            payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body: not valid JSON ({exc.__class__.__name__})") from exc
    except RecursionError as exc:  # e.g. 100k nested arrays: a 400, not a 500
        raise PayloadError("body: JSON nested too deeply") from exc
    if not isinstance(payload, dict):
        raise PayloadError("body: the payload must be a JSON object")
    return payload


def ignored_reason(event: str, payload: Mapping[str, Any]) -> str | None:
    """Why a delivery is ignored, or None when it is one we act on."""
    actions = ACCEPTED.get(event)
    if actions is None:
        return f"event {event!r} is not handled"
    action = payload.get("action")
    if action not in actions:
        return f"{event} action {action!r} is not handled"
    if event == "issue_comment" and not (payload.get("issue") or {}).get("pull_request"):
        return "issue_comment on an issue, not a pull request"
    return None


def _get(mapping: Any, *path: str) -> Any:
    value = mapping
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise PayloadError(f"{'.'.join(path)}: missing")
        value = value[key]
    return value


def _opt(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, Mapping) else None


def _inline(comment: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of ``InlineContext`` (validated with the event)."""
    hunk = comment.get("diff_hunk")
    if isinstance(hunk, str) and len(hunk) > DIFF_HUNK_MAX:
        hunk = hunk[-DIFF_HUNK_MAX:]  # the commented line is at the end of the hunk
    side = comment.get("side")
    return {
        "path": _get(comment, "path"),
        "line": comment.get("line"),
        "original_line": comment.get("original_line"),
        "start_line": comment.get("start_line"),
        "original_start_line": comment.get("original_start_line"),
        "side": side if side in ("LEFT", "RIGHT") else None,
        "diff_hunk": hunk,
        "commit_id": comment.get("commit_id"),
    }


def _never_acted_on(fields: Mapping[str, Any]) -> str | None:
    """Why the fix planner could only ignore this delivery (so it is not stored), or None."""
    head_ref = fields.get("head_ref")
    if isinstance(head_ref, str) and not head_ref.startswith(BRANCH_PREFIX):
        return f"not an OpsRunbook pull request (head branch {head_ref[:100]!r})"
    body = fields.get("body")
    if not isinstance(body, str) or not ACTIONABLE.search(body):
        return "no /opsrunbook command and no suggestion block"
    return None


def normalize(
    event: str, delivery_id: str, payload: Mapping[str, Any], received_at: datetime
) -> GitHubPRReviewEventV1 | Ignored:
    """The normalized event, ``Ignored`` for deliveries we do not act on; raises ``PayloadError``."""
    reason = ignored_reason(event, payload)
    if reason is not None:
        return Ignored(reason)
    fields: dict[str, Any] = {
        "delivery_id": delivery_id,
        "event": event,
        "action": payload["action"],
        "repo": _get(payload, "repository", "full_name"),
        "received_at": received_at,
    }
    if event == "issue_comment":
        subject, pr = _get(payload, "comment"), None
        fields["pr_number"] = _get(payload, "issue", "number")
    else:
        pr = _get(payload, "pull_request")
        fields["pr_number"] = _get(pr, "number")
        fields["head_ref"] = _opt(_opt(pr, "head"), "ref")
        fields["head_sha"] = _opt(_opt(pr, "head"), "sha")
        fields["head_repo"] = _opt(_opt(_opt(pr, "head"), "repo"), "full_name")
        subject = _get(payload, "review" if event == "pull_request_review" else "comment")
    user = _get(subject, "user")
    fields.update(
        author_login=_get(user, "login"),
        author_type=_opt(user, "type") or "User",
        author_association=_opt(subject, "author_association"),
        body=_opt(subject, "body") or "",
        html_url=_opt(subject, "html_url"),
    )
    if event == "pull_request_review":
        fields.update(review_id=_opt(subject, "id"), review_state=_opt(subject, "state"))
    else:
        fields["comment_id"] = _opt(subject, "id")
    if event == "pull_request_review_comment":
        fields.update(review_id=_opt(subject, "pull_request_review_id"), inline=_inline(subject))
    irrelevant = _never_acted_on(fields)
    if irrelevant is not None:
        return Ignored(irrelevant)
    try:
        return GitHubPRReviewEventV1.model_validate(fields)
    except ValidationError as exc:
        raise PayloadError(first_error(exc)) from exc
