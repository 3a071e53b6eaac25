"""GitHub webhook payloads → ``GitHubPRReviewEventV1`` or the reason they are ignored (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.github import GitHubPRReviewEventV1
from opsrunbook_dagster.pr_review.normalize import (
    DIFF_HUNK_MAX,
    Ignored,
    PayloadError,
    ignored_reason,
    normalize,
    parse_payload,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _comment_payload(**comment: Any) -> dict[str, Any]:
    return {
        "action": "created",
        "repository": {"full_name": "acme/payment-gateway"},
        "pull_request": {"number": 7, "head": {"ref": "opsrunbook/incident-inc-1", "sha": "abc123"}},
        "comment": {
            "id": 11,
            "pull_request_review_id": 5,
            "user": {"login": "octocat", "type": "User"},
            "body": "```suggestion\nreturn 1\n```",
            "path": "src/app.py",
            "line": 10,
            "original_line": 9,
            "start_line": 8,
            "original_start_line": 7,
            "side": "RIGHT",
            "diff_hunk": "@@ -1 +1 @@",
            "commit_id": "abc123",
            "html_url": "https://github.com/acme/payment-gateway/pull/7#discussion_r11",
            **comment,
        },
    }


def test_review_comment_keeps_inline_context() -> None:
    event = normalize("pull_request_review_comment", "d-1", _comment_payload(), NOW)
    assert isinstance(event, GitHubPRReviewEventV1)
    assert (event.repo, event.pr_number, event.head_ref, event.head_sha) == (
        "acme/payment-gateway",
        7,
        "opsrunbook/incident-inc-1",
        "abc123",
    )
    assert event.inline is not None
    assert (event.inline.path, event.inline.line, event.inline.start_line, event.inline.side) == (
        "src/app.py",
        10,
        8,
        "RIGHT",
    )
    assert (event.review_id, event.comment_id, event.received_at) == (5, 11, NOW)


def test_long_diff_hunks_keep_their_end_and_odd_sides_are_dropped() -> None:
    hunk = "x" * (DIFF_HUNK_MAX + 10) + "END"
    event = normalize(
        "pull_request_review_comment", "d-1", _comment_payload(diff_hunk=hunk, side="BOTH"), NOW
    )
    assert isinstance(event, GitHubPRReviewEventV1) and event.inline is not None
    assert event.inline.diff_hunk is not None and event.inline.diff_hunk.endswith("END")
    assert len(event.inline.diff_hunk) == DIFF_HUNK_MAX and event.inline.side is None


@pytest.mark.parametrize(
    ("event", "payload", "reason"),
    [
        ("push", {}, "event 'push' is not handled"),
        ("pull_request_review", {"action": "dismissed"}, "action 'dismissed'"),
        ("pull_request_review_comment", {"action": "deleted"}, "action 'deleted'"),
        ("issue_comment", {"action": "created", "issue": {"number": 1}}, "not a pull request"),
        ("issue_comment", {"action": "edited", "issue": {"pull_request": {}}}, "action 'edited'"),
    ],
)
def test_ignored_deliveries(event: str, payload: dict[str, Any], reason: str) -> None:
    result = normalize(event, "d-1", payload, NOW)
    assert isinstance(result, Ignored) and reason in result.reason
    assert ignored_reason(event, payload) == result.reason


def test_issue_comment_on_a_pr_has_no_head() -> None:
    payload = {
        "action": "created",
        "repository": {"full_name": "acme/api"},
        "issue": {"number": 3, "pull_request": {"url": "https://api.github.com/repos/acme/api/pulls/3"}},
        "comment": {
            "id": 9,
            "user": {"login": "bot[bot]", "type": "Bot"},
            "body": "/opsrunbook stop",
            "html_url": None,
        },
    }
    event = normalize("issue_comment", "d-2", payload, NOW)
    assert isinstance(event, GitHubPRReviewEventV1)
    assert (event.pr_number, event.head_ref, event.author_type, event.comment_id) == (3, None, "Bot", 9)


def test_a_pull_request_that_is_not_opsrunbooks_is_ignored_at_intake() -> None:
    payload = _comment_payload()
    payload["pull_request"]["head"]["ref"] = "fix/timeouts"
    result = normalize("pull_request_review_comment", "d-1", payload, NOW)
    assert isinstance(result, Ignored) and "fix/timeouts" in result.reason


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"action": "created"}, "repository.full_name: missing"),
        (
            {**_comment_payload(), "repository": {"full_name": "not a repo"}},
            "repo: String should match pattern",
        ),
        (_comment_payload(path=None), "inline.path: "),
    ],
)
def test_unusable_payloads_raise(payload: dict[str, Any], message: str) -> None:
    with pytest.raises(PayloadError, match=message.replace("(", r"\(")):
        normalize("pull_request_review_comment", "d-1", payload, NOW)


def test_parse_payload_json_and_form() -> None:
    assert parse_payload(b'{"a": 1}', "application/json") == {"a": 1}
    assert parse_payload(b"payload=%7B%22a%22%3A+1%7D", "application/x-www-form-urlencoded; charset=x") == {
        "a": 1
    }
    for body, content_type in (
        (b"[]", None),
        (b"{", None),
        (b"\xff", None),
        (b"x=1", "application/x-www-form-urlencoded"),
    ):
        with pytest.raises(PayloadError):
            parse_payload(body, content_type)
