"""GitHub webhooks against real example payloads (@octokit/webhooks-examples), signed like GitHub does."""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from contracts.canonical import canonical_json
from contracts.github import GitHubPRReviewEventV1
from opsrunbook_api.github.signature import sign
from opsrunbook_api.main import create_app
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.pr_review.normalize import ACCEPTED
from tests.conftest import isolated
from tests.integration.api_support import KEYS, WEBHOOK_SECRET, assert_error, scan, settings_for

pytestmark = pytest.mark.integration
PREFIX = "api-wh-"
ROOT = Path(__file__).resolve().parents[3]
EXAMPLES_FILE = (
    Path(os.environ.get("OPSRUNBOOK_REFERENCE_DIR") or ROOT.parent / "shared" / "reference")
    / "github-webhook-examples"
    / "api.github.com.json"
)


def _load_examples() -> list[tuple[str, int, dict[str, Any]]]:
    if not EXAMPLES_FILE.is_file():
        return []
    groups = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    return [(g["name"], i, example) for g in groups for i, example in enumerate(g["examples"])]


EXAMPLES = _load_examples()
needs_examples = pytest.mark.skipif(
    not EXAMPLES,
    reason=f"GitHub webhook examples not found at {EXAMPLES_FILE} (set OPSRUNBOOK_REFERENCE_DIR)",
)


def _accepted(name: str, payload: dict[str, Any]) -> bool:
    if payload.get("action") not in ACCEPTED.get(name, ()):
        return False
    return name != "issue_comment" or "pull_request" in payload.get("issue", {})


def _actionable(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A real example made into one OpsRunbook acts on: a suggestion block, on an OpsRunbook branch."""
    actionable = copy.deepcopy(payload)
    subject = actionable["review" if name == "pull_request_review" else "comment"]
    subject["body"] = (subject.get("body") or "") + "\n```suggestion\nfixed\n```"
    if name != "issue_comment":
        actionable["pull_request"]["head"]["ref"] = "opsrunbook/" + actionable["pull_request"]["head"]["ref"]
    return actionable


RAW_ACCEPTED_EXAMPLES = [e for e in EXAMPLES if _accepted(e[0], e[2])]
ACCEPTED_EXAMPLES = [(n, i, _actionable(n, p)) for n, i, p in RAW_ACCEPTED_EXAMPLES]
OTHER_EXAMPLES = [e for e in EXAMPLES if not _accepted(e[0], e[2])]


@pytest.fixture(scope="module")
def names(aws: AwsTarget) -> ResourceNames:
    return isolated(aws, PREFIX)


@pytest.fixture(scope="module")
def client(aws: AwsTarget, names: ResourceNames) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(aws, names))) as test_client:
        yield test_client


@pytest.fixture
def stored(aws: AwsTarget, names: ResourceNames) -> Any:
    dynamodb = aws.client("dynamodb")

    def rows(delivery_id: str | None = None) -> list[dict[str, Any]]:
        items = scan(dynamodb, names.pr_review_requests_table)
        return [r for r in items if delivery_id is None or r["pk"] == f"DELIVERY#{delivery_id}"]

    return rows


def deliver(
    client: TestClient,
    event: str,
    payload: dict[str, Any] | bytes,
    *,
    delivery_id: str | None = None,
    secret: str = WEBHOOK_SECRET,
    headers: dict[str, str] | None = None,
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body, secret),
        "Content-Type": "application/json",
        **(headers or {}),
    }
    return client.post("/v1/webhooks/github", content=body, headers={k: v for k, v in sent.items() if v})


def _pr_issue_comment(base: dict[str, Any]) -> dict[str, Any]:
    """A real issue_comment example, on a pull request (GitHub adds ``issue.pull_request`` then)."""
    payload = copy.deepcopy(base)
    repo, number = payload["repository"]["full_name"], payload["issue"]["number"]
    payload["issue"]["pull_request"] = {
        "url": f"https://api.github.com/repos/{repo}/pulls/{number}",
        "html_url": f"https://github.com/{repo}/pull/{number}",
        "diff_url": f"https://github.com/{repo}/pull/{number}.diff",
        "patch_url": f"https://github.com/{repo}/pull/{number}.patch",
        "merged_at": None,
    }
    return payload


def _check_normalized(name: str, payload: dict[str, Any], event: GitHubPRReviewEventV1) -> None:
    assert event.repo == payload["repository"]["full_name"]
    assert event.action == payload["action"] and event.event.value == name
    if name == "issue_comment":
        subject = payload["comment"]
        assert event.pr_number == payload["issue"]["number"]
        assert event.head_ref is None and event.head_sha is None and event.inline is None
        assert event.comment_id == subject["id"]
    else:
        pr = payload["pull_request"]
        assert event.pr_number == pr["number"]
        assert (event.head_ref, event.head_sha) == (pr["head"]["ref"], pr["head"]["sha"])
        subject = payload["review" if name == "pull_request_review" else "comment"]
    assert event.author_login == subject["user"]["login"]
    assert event.author_type == subject["user"]["type"]
    assert event.body == (subject["body"] or "")
    assert event.html_url == subject["html_url"]
    if name == "pull_request_review":
        assert (event.review_id, event.review_state) == (subject["id"], subject["state"])
        assert event.inline is None
    if name == "pull_request_review_comment":
        inline = event.inline
        assert inline is not None
        assert inline.path == subject["path"]
        assert (inline.line, inline.original_line) == (subject.get("line"), subject.get("original_line"))
        assert (inline.start_line, inline.side) == (subject.get("start_line"), subject.get("side"))
        assert (inline.diff_hunk, inline.commit_id) == (subject["diff_hunk"], subject["commit_id"])
        assert event.comment_id == subject["id"]


@needs_examples
@pytest.mark.parametrize(
    ("name", "payload"),
    [pytest.param(n, p, id=f"{n}-{i}-{p['action']}") for n, i, p in ACCEPTED_EXAMPLES]
    + [
        pytest.param("issue_comment", _actionable(n, _pr_issue_comment(p)), id=f"issue_comment-{i}-on-pr")
        for n, i, p in EXAMPLES
        if n == "issue_comment" and p.get("action") == "created"
    ][:1],
)
def test_accepted_events_are_normalized_and_stored(
    client: TestClient, stored: Any, name: str, payload: dict[str, Any]
) -> None:
    delivery_id = str(uuid.uuid4())
    response = deliver(client, name, payload, delivery_id=delivery_id)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "accepted"
    [row] = stored(delivery_id)
    assert (row["sk"], row["status"], row["queue"]) == ("EVENT", "REQUESTED", "pending")
    event = GitHubPRReviewEventV1.model_validate_json(row["body"])
    assert row["body"] == canonical_json(event).decode()
    assert event.delivery_id == delivery_id and row["created_at"]
    _check_normalized(name, payload, event)


@needs_examples
def test_accepted_examples_cover_every_accepted_event() -> None:
    names_seen = {(n, p["action"]) for n, _, p in ACCEPTED_EXAMPLES}
    assert {("pull_request_review", "submitted"), ("pull_request_review_comment", "created")} <= names_seen
    assert ("pull_request_review_comment", "edited") in names_seen


@needs_examples
def test_every_other_example_is_acknowledged_and_not_stored(client: TestClient, stored: Any) -> None:
    before = len(stored())
    problems = []
    for name, index, payload in OTHER_EXAMPLES:
        response = deliver(client, name, payload)
        expected = (200, "pong") if name == "ping" else (202, "ignored")
        if (response.status_code, response.json().get("status")) != expected:
            problems.append(f"{name}[{index}]: {response.status_code} {response.text[:200]}")
    assert problems == []
    assert len(OTHER_EXAMPLES) > 300
    assert len(stored()) == before


@needs_examples
def test_redelivery_is_acknowledged_and_ignored(client: TestClient, stored: Any) -> None:
    name, _, example = ACCEPTED_EXAMPLES[0]
    payload = {**example, "test_nonce": uuid.uuid4().hex}  # a body no other test sent
    delivery_id = str(uuid.uuid4())
    assert deliver(client, name, payload, delivery_id=delivery_id).status_code == 202
    [first] = stored(delivery_id)
    again = deliver(client, name, payload, delivery_id=delivery_id)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert stored(delivery_id) == [first]


@needs_examples
@pytest.mark.parametrize(("name", "index", "payload"), RAW_ACCEPTED_EXAMPLES[:3])
def test_deliveries_that_can_never_matter_are_ignored_at_intake(
    client: TestClient, stored: Any, name: str, index: int, payload: dict[str, Any]
) -> None:
    """Before: stored (a row, a run) though the planner could only ignore them."""
    delivery_id = str(uuid.uuid4())
    response = deliver(client, name, payload, delivery_id=delivery_id)
    assert response.status_code == 202 and response.json()["status"] == "ignored"
    assert response.json()["reason"] in (
        "no /opsrunbook command and no suggestion block",
        f"not an OpsRunbook pull request (head branch {payload['pull_request']['head']['ref']!r})",
    )
    command = copy.deepcopy(payload)
    command["review" if name == "pull_request_review" else "comment"]["body"] = "/opsrunbook stop"
    response = deliver(client, name, command, delivery_id=delivery_id)
    assert (
        response.json()["status"] == "ignored"
        and "not an OpsRunbook pull request" in response.json()["reason"]
    )
    assert stored(delivery_id) == []


@needs_examples
def test_a_replayed_signed_body_with_a_fresh_delivery_id_is_a_duplicate(
    client: TestClient, stored: Any
) -> None:
    """X-GitHub-Delivery is not signed: de-dup on the signed bytes too (before: a second row and run)."""
    name, _, example = ACCEPTED_EXAMPLES[0]
    body = json.dumps({**example, "test_nonce": uuid.uuid4().hex}).encode()
    first_id, replay_id = str(uuid.uuid4()), str(uuid.uuid4())
    assert deliver(client, name, body, delivery_id=first_id).json()["status"] == "accepted"
    replay = deliver(client, name, body, delivery_id=replay_id)
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert len(stored(first_id)) == 1 and stored(replay_id) == []
    assert not [r for r in stored() if r.get("delivery_id") == replay_id]


def test_a_deeply_nested_signed_body_is_400(client: TestClient, stored: Any) -> None:
    delivery_id = str(uuid.uuid4())
    body = b"[" * 200_000 + b"]" * 200_000
    assert_error(deliver(client, "pull_request_review", body, delivery_id=delivery_id), 400, "bad_request")
    body = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    assert_error(deliver(client, "pull_request_review", body, delivery_id=delivery_id), 400, "bad_request")
    assert stored(delivery_id) == []


@needs_examples
@pytest.mark.parametrize(
    "how", ["tampered-body", "wrong-secret", "no-signature", "malformed-signature", "no-event", "no-delivery"]
)
def test_rejected_deliveries_store_nothing(client: TestClient, stored: Any, how: str) -> None:
    name, _, payload = ACCEPTED_EXAMPLES[0]
    body = json.dumps(payload).encode()
    delivery_id = str(uuid.uuid4())
    headers: dict[str, str] = {}
    if how == "tampered-body":
        headers["X-Hub-Signature-256"] = sign(body, WEBHOOK_SECRET)
        body = body.replace(b"Codertocat", b"Mallory", 1)
    elif how == "no-signature":
        headers["X-Hub-Signature-256"] = ""
    elif how == "malformed-signature":
        headers["X-Hub-Signature-256"] = "sha1=" + "0" * 40
    elif how == "no-event":
        headers["X-GitHub-Event"] = ""
    elif how == "no-delivery":
        headers["X-GitHub-Delivery"] = ""
    secret = "some-other-secret" if how == "wrong-secret" else WEBHOOK_SECRET
    response = deliver(client, name, body, delivery_id=delivery_id, secret=secret, headers=headers)
    if how in ("no-event", "no-delivery"):
        assert_error(response, 400, "bad_request")
    else:
        assert_error(response, 401, "invalid_signature")
    assert stored(delivery_id) == []


@needs_examples
def test_form_encoded_delivery_is_accepted(client: TestClient, stored: Any) -> None:
    name, _, payload = ACCEPTED_EXAMPLES[0]
    body = urlencode({"payload": json.dumps(payload)}).encode()
    delivery_id = str(uuid.uuid4())
    response = deliver(
        client,
        name,
        body,
        delivery_id=delivery_id,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 202, response.text
    assert len(stored(delivery_id)) == 1


def test_signed_but_unusable_payloads_store_nothing(client: TestClient, stored: Any) -> None:
    delivery_id = str(uuid.uuid4())
    assert_error(deliver(client, "pull_request_review", b"not json", delivery_id=delivery_id), 400)
    assert_error(deliver(client, "pull_request_review", b"[1, 2]", delivery_id=delivery_id), 400)
    error = assert_error(
        deliver(client, "pull_request_review", {"action": "submitted"}, delivery_id=delivery_id), 422
    )
    assert error["message"].startswith("repository.full_name:")
    assert stored(delivery_id) == []


def test_ping_and_unknown_events(client: TestClient) -> None:
    assert deliver(client, "ping", {"zen": "Keep it logically awesome."}).json()["status"] == "pong"
    ignored = deliver(client, "pull_request_review", {"action": "dismissed"})
    assert ignored.status_code == 202 and ignored.json()["status"] == "ignored"


def test_webhook_secret_from_ssm(aws: AwsTarget, names: ResourceNames, stored: Any) -> None:
    parameter = f"/api-test/{uuid.uuid4().hex[:8]}/webhook_secret"
    aws.client("ssm").put_parameter(Name=parameter, Value="ssm-webhook-secret", Type="SecureString")
    settings = settings_for(aws, names, github_webhook_secret=None, github_webhook_secret_parameter=parameter)
    with TestClient(create_app(settings)) as client:
        assert deliver(client, "ping", {"zen": "z"}, secret="ssm-webhook-secret").status_code == 200
        assert_error(deliver(client, "ping", {"zen": "z"}), 401)
        health = client.get("/health/ready", headers={"X-API-Key": KEYS[0]})
        assert "ssm-webhook-secret" not in health.text
        assert health.json()["config"]["github_webhook_secret"] == {
            "source": f"ssm:{parameter}",
            "loaded": True,
        }


def test_webhook_body_limit(client: TestClient) -> None:
    huge = b'{"zen": "' + b"x" * (1024 * 1024) + b'"}'
    assert_error(deliver(client, "ping", huge), 413, "payload_too_large")
