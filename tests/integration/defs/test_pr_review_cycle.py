"""Webhook → pr-review-requests row → pr_review_sensor → pr_review_event → pr_fix_plan."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pytest
from fastapi.testclient import TestClient

from contracts.github import PRFixPlanV1
from opsrunbook_api.main import create_app
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.defs.pr_review.assets import pr_fix_plan, pr_review_event
from opsrunbook_dagster.defs.pr_review.sensors import pr_review_sensor
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.server import SandboxServer
from opsrunbook_dagster.stores.deliveries import DeliveryStore
from tests.conftest import isolated
from tests.integration.api.test_webhooks import deliver
from tests.integration.api_support import settings_for
from tests.integration.daemon_support import DaemonView, ticks_after_read

pytestmark = pytest.mark.integration
PREFIX = "prcycle-"


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, PREFIX))


@pytest.fixture(scope="module")
def client(aws: AwsTarget, deps: PipelineDeps) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(aws, deps.names))) as test_client:
        yield test_client


def _run(
    sandbox: SandboxServer, client: TestClient, deps: PipelineDeps, payload: dict[str, Any]
) -> tuple[str, PRFixPlanV1]:
    """Deliver one review comment and run the sensor (one run request) and both assets for it."""
    delivery = str(uuid.uuid4())
    assert deliver(client, "pull_request_review_comment", payload, delivery_id=delivery).status_code == 202
    resource = OpsRunbookAws(
        endpoint_url=sandbox.endpoint_url, table_prefix=PREFIX, evidence_bucket=f"{PREFIX}evidence"
    )
    with dg.DagsterInstance.ephemeral() as instance:
        tick = pr_review_sensor(dg.build_sensor_context(instance=instance, resources={"aws": resource}))
        assert [r.run_key for r in tick.run_requests] == [delivery]  # type: ignore[union-attr]
        instance.add_dynamic_partitions("pr_reviews", [delivery])
        result = dg.materialize(
            [pr_review_event, pr_fix_plan],
            partition_key=delivery,
            instance=instance,
            resources={"aws": resource},
        )
    assert result.success
    return delivery, PRFixPlanV1.model_validate(deps.objects.get_json(f"pr-reviews/{delivery}/plan.json"))


def _plan(
    sandbox: SandboxServer, client: TestClient, deps: PipelineDeps, payload: dict[str, Any]
) -> PRFixPlanV1:
    return _run(sandbox, client, deps, payload)[1]


def _review_comment(body: str, head_ref: str) -> dict[str, Any]:
    return {
        "action": "created",
        "comment": {
            "id": 4242,
            "body": body,
            "path": "incidents/inc-1.md",
            "line": 12,
            "original_line": 12,
            "start_line": None,
            "side": "RIGHT",
            "diff_hunk": "@@ -10,3 +10,3 @@",
            "commit_id": "a" * 40,
            "html_url": "https://github.com/acme/payment-gateway/pull/7#discussion_r1",
            "user": {"login": "octocat", "type": "User"},
            "author_association": "MEMBER",
        },
        "pull_request": {
            "number": 7,
            "head": {"ref": head_ref, "sha": "a" * 40, "repo": {"full_name": "acme/payment-gateway"}},
        },
        "repository": {"full_name": "acme/payment-gateway"},
        "sender": {"login": "octocat", "type": "User"},
    }


def test_a_suggestion_flows_from_webhook_to_a_fix_plan(
    sandbox: SandboxServer, client: TestClient, deps: PipelineDeps
) -> None:
    body = "Shorter, please:\n```suggestion\ntimeout: 6s\n```"
    delivery, plan = _run(sandbox, client, deps, _review_comment(body, "opsrunbook/incident-inc-1"))
    assert plan.decision.value == "apply" and plan.edits[0].replacement == "timeout: 6s\n"
    assert plan.edits[0].start_line == plan.edits[0].end_line == 12
    row = deps.pr_reviews.get(f"DELIVERY#{delivery}")
    assert row is not None and row.status == "SUCCEEDED" and "queue" not in row.raw
    assert json.loads(row.body)["delivery_id"] == delivery


def test_stop_is_kept_per_pull_request_until_resume(
    sandbox: SandboxServer, client: TestClient, deps: PipelineDeps
) -> None:
    """Before: a stop only paused its own delivery; the next suggestion was applied."""
    branch = "opsrunbook/incident-inc-stop"
    suggestion = "```suggestion\ntimeout: {n}s\n```"
    assert _plan(sandbox, client, deps, _review_comment("/opsrunbook stop", branch)).decision.value == "pause"
    later = _plan(sandbox, client, deps, _review_comment(suggestion.format(n=7), branch))
    assert later.decision.value == "pause" and later.edits == [] and "paused" in later.reason
    outsider = _review_comment("/opsrunbook resume", branch)
    outsider["comment"]["author_association"] = "NONE"
    assert _plan(sandbox, client, deps, outsider).decision.value == "ignore"
    assert (
        _plan(sandbox, client, deps, _review_comment(suggestion.format(n=8), branch)).decision.value
        == "pause"
    )
    assert (
        _plan(sandbox, client, deps, _review_comment("/opsrunbook resume", branch)).decision.value == "resume"
    )
    after = _plan(sandbox, client, deps, _review_comment(suggestion.format(n=9), branch))
    assert after.decision.value == "apply" and after.edits[0].replacement == "timeout: 9s\n"


def test_pr_review_runs_per_tick_are_capped(
    sandbox: SandboxServer, client: TestClient, deps: PipelineDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: every pending delivery (up to 50) became a run in one tick."""
    for n in range(3):
        body = f"```suggestion\ntimeout: {n}s\n```"
        payload = _review_comment(body, "opsrunbook/incident-inc-cap")
        assert deliver(client, "pull_request_review_comment", payload).status_code == 202
    monkeypatch.setenv("OPSRUNBOOK_PR_REVIEW_RUNS_PER_TICK", "2")
    resource = OpsRunbookAws(
        endpoint_url=sandbox.endpoint_url, table_prefix=PREFIX, evidence_bucket=f"{PREFIX}evidence"
    )
    with dg.DagsterInstance.ephemeral() as instance:
        tick = pr_review_sensor(dg.build_sensor_context(instance=instance, resources={"aws": resource}))
    assert len(tick.run_requests or []) == 2  # type: ignore[union-attr]


def test_a_tick_that_loses_the_claim_to_another_daemon_requests_nothing(
    sandbox: SandboxServer, client: TestClient, deps: PipelineDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the PR review sensor ignored a failed REQUESTED → SCHEDULED write and requested the
    run anyway, so two daemons could both request one delivery (the incident queue's rule now
    holds for both: a claim lost means no request)."""
    monkeypatch.setenv("OPSRUNBOOK_PR_REVIEW_RUNS_PER_TICK", "50")
    delivery = str(uuid.uuid4())
    payload = _review_comment("```suggestion\ntimeout: 9s\n```", "opsrunbook/incident-inc-race")
    assert deliver(client, "pull_request_review_comment", payload, delivery_id=delivery).status_code == 202
    resource = OpsRunbookAws(
        endpoint_url=sandbox.endpoint_url, table_prefix=PREFIX, evidence_bucket=f"{PREFIX}evidence"
    )
    theirs: list[dg.SensorResult] = []
    with dg.DagsterInstance.ephemeral() as instance:

        def other_tick() -> None:
            context = dg.build_sensor_context(instance=instance, resources={"aws": resource})
            theirs.append(pr_review_sensor(context))  # type: ignore[arg-type]

        store = ticks_after_read(
            DeliveryStore(
                deps.client("dynamodb"), deps.names.pr_review_requests_table, deps.names.incidents_table
            ),
            other_tick,
        )
        view = DaemonView(deps, {"pr_reviews": store})
        context = dg.build_sensor_context(instance=instance, resources={"aws": view})
        mine = pr_review_sensor(context)
    assert isinstance(mine, dg.SensorResult) and len(theirs) == 1
    assert delivery in [r.run_key for r in theirs[0].run_requests or []]
    assert delivery not in [r.run_key for r in mine.run_requests or []]
    row = deps.pr_reviews.delivery(delivery)
    assert row is not None and row.status == "SCHEDULED"
