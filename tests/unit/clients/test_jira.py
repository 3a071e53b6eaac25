"""The Jira client and the Jira fake over real HTTP: requests validated, retries, faults, secrets."""

from __future__ import annotations

import logging
import time

import pytest

from contracts.actions import ActionFlags
from opsrunbook_dagster.actions.render.http_bodies import (
    RenderContext,
    jira_issue_request,
    jira_search_request,
)
from opsrunbook_dagster.clients.http import HttpError, RetryPolicy
from opsrunbook_dagster.clients.jira import JiraClient, JiraConfig
from opsrunbook_dagster.clients.secrets import Secret
from opsrunbook_dagster.fakes.base import FakeServer
from opsrunbook_dagster.fakes.reference import ADF_SCHEMA, adf_validator
from opsrunbook_dagster.planning.planner import build_plan
from tests.actions_support import FAST, JIRA_EMAIL, JIRA_TOKEN, needs_reference, packet


def _client(server: FakeServer, token: str = JIRA_TOKEN, policy: RetryPolicy = FAST) -> JiraClient:
    return JiraClient(JiraConfig(base_url=server.url, email=JIRA_EMAIL, api_token=Secret(token)), policy)


def _create(client: JiraClient, incident_id: str = "inc-jira-1") -> dict:  # type: ignore[type-arg]
    pkt = packet(incident_id)
    plan = build_plan(pkt, ActionFlags(dry_run=False))
    request = jira_issue_request(
        pkt, plan.actions[0], plan.finding_set_sha256, RenderContext(jira_project_key="OPS")
    )
    return client.send(request)  # type: ignore[no-any-return]


@needs_reference(ADF_SCHEMA)
def test_create_then_find_by_label_with_valid_adf(jira_fake: FakeServer) -> None:
    client = _client(jira_fake)
    created = _create(client)
    assert created["key"] == "OPS-1"
    issues = client.search(jira_search_request("inc-jira-1"))
    assert [i["key"] for i in issues] == ["OPS-1"]
    assert "opsrunbook-incident-inc-jira-1" in issues[0]["fields"]["labels"]
    assert client.search(jira_search_request("inc-other")) == []
    assert jira_fake.app.violations == []
    assert adf_validator().source.startswith("jsonschema")


@needs_reference(ADF_SCHEMA)
def test_the_fake_rejects_invalid_adf(jira_fake: FakeServer) -> None:
    client = _client(jira_fake)
    bad = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": ""}]}],
    }
    with pytest.raises(HttpError) as error:
        client.send({"method": "POST", "path": "/rest/api/3/issue/OPS-9/comment", "json": {"body": bad}})
    assert error.value.status == 404  # no such issue: checked before the body
    _create(client)
    with pytest.raises(HttpError) as error:
        client.send({"method": "POST", "path": "/rest/api/3/issue/OPS-1/comment", "json": {"body": bad}})
    assert error.value.status == 400 and "ADF invalid" in error.value.message
    assert jira_fake.app.violations and "ADF invalid" in jira_fake.app.violations[0]


def test_structural_fallback_when_the_schema_file_is_absent(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPSRUNBOOK_REFERENCE_DIR", str(tmp_path))
    validator = adf_validator()
    assert validator.source.startswith("structural check")
    assert validator.errors({"type": "doc", "version": 1, "content": [{"type": "text", "text": ""}]})
    assert (
        validator.errors({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": []}]})
        == []
    )


def test_429_with_retry_after_is_honoured(jira_fake: FakeServer) -> None:
    jira_fake.app.fault("status", method="POST", path="search", status=429, retry_after=1)
    started = time.monotonic()
    assert _client(jira_fake).search(jira_search_request("inc-x")) == []
    assert time.monotonic() - started >= 1.0
    assert len(jira_fake.app.requests_for("POST", "search")) == 2


def test_five_500s_fail_with_the_error(jira_fake: FakeServer) -> None:
    jira_fake.app.fault("status", method="POST", path="search", status=500, times=5)
    with pytest.raises(HttpError) as error:
        _client(jira_fake).search(jira_search_request("inc-x"))
    assert error.value.code == "http_500" and "5 attempt(s)" in error.value.message
    assert len(jira_fake.app.requests_for("POST", "search")) == 5


def test_reads_survive_a_reset_and_a_timeout(jira_fake: FakeServer) -> None:
    jira_fake.app.fault("reset", method="POST", path="search")
    jira_fake.app.fault("delay", method="POST", path="search", delay=1.0)
    policy = RetryPolicy(attempts=4, backoff_factor=0.01, jitter=0.0, read_timeout=0.5)
    assert _client(jira_fake, policy=policy).search(jira_search_request("inc-x")) == []
    assert len(jira_fake.app.requests_for("POST", "search")) == 3


def test_a_create_is_not_resent_after_an_ambiguous_failure(jira_fake: FakeServer) -> None:
    jira_fake.app.fault("commit_then_reset", method="POST", path="/rest/api/3/issue$")
    client = _client(jira_fake)
    with pytest.raises(HttpError) as error:
        _create(client)
    assert error.value.ambiguous
    assert len(jira_fake.app.issues) == 1  # type: ignore[attr-defined]
    assert len(jira_fake.app.requests_for("POST", "/rest/api/3/issue$")) == 1


def test_wrong_token_is_rejected_and_secrets_stay_out_of_logs_and_errors(
    jira_fake: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(HttpError) as error:
        _client(jira_fake, token="wrong-token-123456").search(jira_search_request("inc-x"))
    assert error.value.status == 401
    _client(jira_fake).search(jira_search_request("inc-x"))
    assert JIRA_TOKEN not in caplog.text and "wrong-token-123456" not in caplog.text
    assert JIRA_TOKEN not in error.value.message
    assert "Secret('***')" in repr(Secret(JIRA_TOKEN)) and JIRA_TOKEN not in repr(Secret(JIRA_TOKEN))
