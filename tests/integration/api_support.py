"""Shared helpers for the API tests: settings pointing at isolated tables, request bodies, row reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from opsrunbook_api.core.config import Settings
from opsrunbook_api.main import create_app
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.requests_table import from_item
from tests.conftest import isolated

KEYS = ("key-current-7f3a9c", "key-previous-1b2d4e")
WEBHOOK_SECRET = "test-webhook-secret-0d9e8f"
DAGSTER_UI = "http://dagster.example:3000"


def settings_for(aws: AwsTarget, names: ResourceNames, **overrides: Any) -> Settings:
    """Settings for the isolated resources (no .env, every name explicit so the environment can't leak in)."""
    values: dict[str, Any] = {
        "api_keys": ",".join(KEYS),
        "github_webhook_secret": WEBHOOK_SECRET,
        "aws_endpoint_url": aws.endpoint_url,
        "aws_region": aws.region,
        "table_prefix": "",
        "incident_requests_table": names.incident_requests_table,
        "incidents_table": names.incidents_table,
        "snapshots_table": names.snapshots_table,
        "packets_table": names.packets_table,
        "pr_review_requests_table": names.pr_review_requests_table,
        "evidence_bucket": names.evidence_bucket,
        "dagster_ui_url": DAGSTER_UI,
        # no Dagster daemon runs beside these tests; readiness of the orchestrator has its own tests
        "readiness_orchestrator": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def auth(key: str = KEYS[0]) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def event_body(**overrides: Any) -> dict[str, Any]:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    doc: dict[str, Any] = {
        "event_id": f"api-evt-{uuid.uuid4().hex[:16]}",
        "service": "payment-gateway",
        "environment": "prod",
        "severity": "critical",
        "title": "Lambda timeouts",
        "time_window": {"start": (end - timedelta(minutes=30)).isoformat(), "end": end.isoformat()},
        "hints": {"log_groups": ["/aws/lambda/payment-gateway"], "lambda_functions": ["payment-gateway"]},
    }
    doc.update(overrides)
    return doc


def scan(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**kwargs)
        items.extend(from_item(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    if code is not None:
        assert body["error"]["code"] == code, body
    return dict(body["error"])


def api_fixtures(prefix: str) -> tuple[Any, Any, Any]:
    """Module-scoped ``names``, ``deps`` and ``client`` fixtures: tables of the module's own (``prefix``)
    on the shared sandbox, and the app serving them. Assign them at module level in a test module."""

    @pytest.fixture(scope="module")
    def names(aws: AwsTarget) -> ResourceNames:
        return isolated(aws, prefix)

    @pytest.fixture(scope="module")
    def deps(aws: AwsTarget, names: ResourceNames) -> PipelineDeps:
        return PipelineDeps(target=aws, names=names)

    @pytest.fixture(scope="module")
    def client(aws: AwsTarget, names: ResourceNames) -> Iterator[TestClient]:
        with TestClient(create_app(settings_for(aws, names))) as test_client:
            yield test_client

    return names, deps, client
