"""GET /v1/incidents/{id} reads what it shows, not every run's stored request body (up to 256 KB each)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from opsrunbook_dagster.pipeline.deps import PipelineDeps
from tests.integration.api_support import api_fixtures, auth, event_body

pytestmark = pytest.mark.integration

names, deps, client = api_fixtures("api-reads-")


def test_reading_an_incident_does_not_fetch_request_bodies(client: TestClient, deps: PipelineDeps) -> None:
    """Before: every RUN row came back with its request_body and every request row with its body."""
    first = client.post("/v1/incidents", json=event_body(title="x" * 200), headers=auth()).json()
    incident_id = first["incident_id"]
    for n in range(3):  # more runs of the same incident
        body = event_body(incident_id=incident_id, title=f"again {n}")
        assert client.post("/v1/incidents", json=body, headers=auth()).status_code == 202
    context: Any = client.app.state.context  # type: ignore[attr-defined]
    dynamodb = context.deps.client("dynamodb")
    fetched: list[str] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        items = parsed.get("Items") or ([parsed["Item"]] if "Item" in parsed else [])
        fetched.extend(name for item in items for name in item)

    dynamodb.meta.events.register("after-call.dynamodb", record)
    try:
        incident = client.get(f"/v1/incidents/{incident_id}", headers=auth())
    finally:
        dynamodb.meta.events.unregister("after-call.dynamodb", record)
    assert incident.status_code == 200 and len(incident.json()["runs"]) == 4
    assert fetched and "request_body" not in fetched and "body" not in fetched
    run = incident.json()["runs"][0]
    detail = client.get(f"/v1/incidents/{incident_id}/runs/{run['run_id']}", headers=auth()).json()
    assert detail["request"]["event_id"] == run["event_id"], "one run's read still has its request"
