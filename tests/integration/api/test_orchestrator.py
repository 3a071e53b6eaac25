"""Readiness says whether anything is processing requests: the request sensor's heartbeat (and,
when asked, the Dagster daemons' own). While it is stale the API still stores requests, says that
processing is delayed, and reports not-ready with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from opsrunbook_api.main import create_app
from opsrunbook_api.services.orchestrator import daemon_check
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.server import free_port
from tests.conftest import isolated
from tests.integration.api_support import auth, event_body, settings_for

pytestmark = pytest.mark.integration
PREFIX = "orch-"


@pytest.fixture(scope="module")
def names(aws: AwsTarget) -> ResourceNames:
    return isolated(aws, PREFIX)


def _client(aws: AwsTarget, names: ResourceNames) -> TestClient:
    return TestClient(
        create_app(settings_for(aws, names, readiness_orchestrator=True, orchestrator_stale_seconds=30))
    )


def test_no_sensor_heartbeat_means_not_ready_and_intake_says_delayed(
    aws: AwsTarget, names: ResourceNames
) -> None:
    deps = PipelineDeps(target=aws, names=names)
    deps.heartbeats.beat("incident_request_sensor", datetime.now(UTC) - timedelta(minutes=5), pending=3)
    with _client(aws, names) as client:
        health = client.get("/health/ready", headers=auth())
        assert health.status_code == 503 and health.json()["ready"] is False
        check = health.json()["checks"]["orchestrator:request_sensor"]
        assert check["ok"] is False and "the request sensor last ticked 30" in check["detail"]
        accepted = client.post("/v1/incidents", json=event_body(), headers=auth())
        assert accepted.status_code == 202
        body = accepted.json()
        assert body["processing"] == "delayed" and "requests wait in the table" in body["processing_note"]
        assert deps.requests.get(f"EVENT#{body['event_id']}").status == "REQUESTED"  # type: ignore[union-attr]
        assert client.get("/health/live").json() == {"live": True}


def test_a_recent_heartbeat_is_ready_and_intake_is_normal(aws: AwsTarget, names: ResourceNames) -> None:
    deps = PipelineDeps(target=aws, names=names)
    deps.heartbeats.beat("incident_request_sensor", datetime.now(UTC), pending=0, oldest_pending_age_s=0)
    with _client(aws, names) as client:
        health = client.get("/health/ready", headers=auth())
        assert health.status_code == 200, health.text
        assert health.json()["checks"]["orchestrator:request_sensor"]["ok"] is True
        body = client.post("/v1/incidents", json=event_body(), headers=auth()).json()
        assert body["processing"] == "normal" and body["processing_note"] is None


def test_an_unreachable_dagster_webserver_is_not_ready() -> None:
    check = daemon_check(f"http://127.0.0.1:{free_port()}", timeout=1)
    assert check.ok is False and "unreachable" in check.detail
