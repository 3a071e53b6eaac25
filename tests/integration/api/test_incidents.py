"""The HTTP API against a real moto server: auth, intake idempotency, limits, status reads, replays, health."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient

from contracts.incident_event import IncidentEventV1
from opsrunbook_api.main import create_app
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.sandbox.server import free_port
from tests.integration.api_support import (
    DAGSTER_UI,
    KEYS,
    WEBHOOK_SECRET,
    api_fixtures,
    assert_error,
    auth,
    event_body,
    scan,
    settings_for,
)

pytestmark = pytest.mark.integration
PREFIX = "api-"


names, deps, client = api_fixtures(PREFIX)


def _submit(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/incidents", json=event_body(**overrides), headers=auth())
    assert response.status_code == 202, response.text
    return dict(response.json())


def _request_rows(deps: PipelineDeps, event_id: str) -> list[dict[str, Any]]:
    rows = scan(deps.client("dynamodb"), deps.names.incident_requests_table)
    return [r for r in rows if r.get("event_id") == event_id]


# --- auth -------------------------------------------------------------------------------------


def test_incident_routes_need_a_key(client: TestClient) -> None:
    for path in ("/v1/incidents/inc-unknown-1", "/v1/incidents/inc-unknown-1/evidence"):
        error = assert_error(client.get(path), 401, "unauthorized")
        assert "API key" in error["message"]
    response = client.get("/v1/incidents/inc-unknown-1", headers={"Authorization": f"Basic {KEYS[0]}"})
    assert_error(response, 401)
    assert client.get("/v1/incidents/inc-unknown-1").headers["www-authenticate"] == "Bearer"
    assert_error(client.post("/v1/incidents", json=event_body()), 401)


@pytest.mark.parametrize("style", ["bearer", "x-api-key"])
def test_wrong_key_is_403_and_every_configured_key_works(client: TestClient, style: str) -> None:
    def headers(key: str) -> dict[str, str]:
        return auth(key) if style == "bearer" else {"X-API-Key": key}

    assert_error(client.get("/v1/incidents/inc-unknown-1", headers=headers("not-a-key")), 403, "forbidden")
    assert_error(client.get("/v1/incidents/inc-unknown-1", headers=headers(KEYS[0] + "x")), 403)
    for key in KEYS:  # rotation: the current and the previous key are both accepted
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=headers(key)), 404, "not_found")


def test_keys_from_ssm_are_read_once(aws: AwsTarget, names: ResourceNames) -> None:
    parameter = f"/api-test/{uuid.uuid4().hex[:8]}/keys"
    ssm = aws.client("ssm")
    ssm.put_parameter(Name=parameter, Value="ssm-key-1, ssm-key-2", Type="SecureString")
    settings = settings_for(aws, names, api_keys=None, api_keys_parameter=parameter)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/ready", headers=auth("ssm-key-1")).json()["config"]["api_keys"] == {
            "source": f"ssm:{parameter}",
            "loaded": True,
        }
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth("ssm-key-2")), 404)
        ssm.put_parameter(Name=parameter, Value="ssm-key-3", Type="SecureString", Overwrite=True)
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth("ssm-key-1")), 404)
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth("ssm-key-3")), 403)
    with TestClient(create_app(settings)) as client:  # a new process picks up the rotated value
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth("ssm-key-3")), 404)
        assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth("ssm-key-1")), 403)


def test_missing_ssm_keys_fail_closed(aws: AwsTarget, names: ResourceNames) -> None:
    settings = settings_for(aws, names, api_keys=None, api_keys_parameter="/api-test/missing/keys")
    with TestClient(create_app(settings)) as client:
        error = assert_error(client.get("/v1/incidents/inc-unknown-1", headers=auth()), 503, "unavailable")
        assert "missing" not in error["message"] and "ssm" not in error["message"].lower()


# --- intake -----------------------------------------------------------------------------------


def test_new_event_is_accepted_and_stored(client: TestClient, deps: PipelineDeps) -> None:
    body = event_body()
    response = client.post("/v1/incidents", json=body, headers={"X-API-Key": KEYS[1]})
    assert response.status_code == 202, response.text
    out = response.json()
    event = IncidentEventV1.model_validate(body)
    assert out["incident_id"] == event.resolved_incident_id and out["run_id"] == event.run_id
    assert out["created"] is True and out["status"] == "REQUESTED"
    assert out["status_url"] == f"/v1/incidents/{out['incident_id']}" == response.headers["location"]
    assert out["run_url"] == f"/v1/incidents/{out['incident_id']}/runs/{out['run_id']}"
    row = deps.requests.get(f"EVENT#{body['event_id']}")
    assert row is not None and row.status == "REQUESTED" and row.raw["queue"] == "pending"
    assert (deps.incidents.meta(out["incident_id"]) or {})["latest_run_id"] == out["run_id"]
    assert (deps.incidents.run(out["incident_id"], out["run_id"]) or {})["status"] == "REQUESTED"


def test_same_event_again_is_200_with_the_same_ids(client: TestClient, deps: PipelineDeps) -> None:
    body = event_body(incident_id="checkout-outage-7")
    first = client.post("/v1/incidents", json=body, headers=auth())
    assert first.status_code == 202
    # Same document, different formatting and key order: still the same request.
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=3).encode()
    again = client.post(
        "/v1/incidents", content=reordered, headers={**auth(), "Content-Type": "application/json"}
    )
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False
    assert {k: again.json()[k] for k in ("incident_id", "run_id", "status_url")} == {
        k: first.json()[k] for k in ("incident_id", "run_id", "status_url")
    }
    assert len(_request_rows(deps, body["event_id"])) == 1


def test_same_event_id_with_another_body_is_409_and_changes_nothing(
    client: TestClient, deps: PipelineDeps
) -> None:
    body = event_body()
    out = _submit(client, **body)
    stored = deps.requests.get(f"EVENT#{body['event_id']}")
    response = client.post("/v1/incidents", json={**body, "severity": "info"}, headers=auth())
    error = assert_error(response, 409, "conflict")
    assert body["event_id"] in error["message"]
    assert error["details"]["incident_id"] == out["incident_id"]
    assert deps.requests.get(f"EVENT#{body['event_id']}") == stored
    assert (deps.incidents.meta(out["incident_id"]) or {})["severity"] == "critical"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"time_window": {"start": "2026-01-01T01:00:00Z", "end": "2026-01-01T00:00:00Z"}},
            "time_window.end: end must be after start",
        ),
        ({"event_id": "short"}, "event_id: String should have at least 8 characters"),
        ({"severity": "sev1"}, "severity: "),
        ({"hints": {}}, "hints: at least one hint is required"),
        ({"hints": {"log_groups": ["bad group!"]}}, "hints.log_groups.0: "),
        ({"surprise": 1}, "surprise: Extra inputs are not permitted"),
    ],
)
def test_invalid_body_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, deps: PipelineDeps, overrides: dict[str, Any], message: str
) -> None:
    body = event_body(**overrides)
    error = assert_error(client.post("/v1/incidents", json=body, headers=auth()), 422, "validation_error")
    assert error["message"].startswith(message), error
    assert error["details"]["errors"][0]["loc"] == message.split(":")[0]
    if "event_id" in body:
        assert _request_rows(deps, body["event_id"]) == []


def test_malformed_json_and_missing_body_are_422(client: TestClient) -> None:
    headers = {**auth(), "Content-Type": "application/json"}
    error = assert_error(client.post("/v1/incidents", content=b'{"event_id": ', headers=headers), 422)
    assert "invalid JSON" in error["message"]
    assert_error(client.post("/v1/incidents", headers=auth()), 422, "validation_error")


def test_body_over_256_kb_is_413_and_writes_nothing(client: TestClient, deps: PipelineDeps) -> None:
    body = event_body()
    padded = json.dumps(body).encode().replace(b"{", b"{" + b" " * (256 * 1024), 1)
    headers = {**auth(), "Content-Type": "application/json"}
    error = assert_error(
        client.post("/v1/incidents", content=padded, headers=headers), 413, "payload_too_large"
    )
    assert error["details"]["limit"] == 256 * 1024

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for start in range(0, len(padded), 64 * 1024):
            yield padded[start : start + 64 * 1024]

    assert_error(client.post("/v1/incidents", content=chunks(), headers=headers), 413)
    assert _request_rows(deps, body["event_id"]) == []
    just_under = json.dumps(body).encode().replace(b"{", b"{" + b" " * 1024, 1)
    assert client.post("/v1/incidents", content=just_under, headers=headers).status_code == 202


def _race(client: TestClient, body: dict[str, Any], n: int) -> list[int]:
    """POST ``body`` from ``n`` threads released at the same moment; the status codes."""
    barrier = threading.Barrier(n)
    statuses: list[int] = []

    def post() -> None:
        barrier.wait()
        statuses.append(client.post("/v1/incidents", json=body, headers=auth()).status_code)

    threads = [threading.Thread(target=post) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_posts_of_one_event_store_exactly_one_request(
    client: TestClient, deps: PipelineDeps
) -> None:
    for _ in range(3):
        body = event_body()
        assert sorted(_race(client, body, 4)) == [200, 200, 200, 202]
        assert len(_request_rows(deps, body["event_id"])) == 1
        event = IncidentEventV1.model_validate(body)
        assert len(deps.incidents.rows(event.resolved_incident_id, "RUN#")) == 1


# --- status reads -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "suffix",
    [
        "",
        "/runs/r0123456789ab",
        "/snapshot/latest",
        "/evidence",
        "/packet/latest",
        "/packet/r0123456789ab",
        "/actions/latest",
        "/actions",
        "/replays/rp-0123456789ab",
    ],
)
def test_reads_of_an_unknown_incident_are_404(client: TestClient, suffix: str) -> None:
    error = assert_error(
        client.get(f"/v1/incidents/inc-never-seen{suffix}", headers=auth()), 404, "not_found"
    )
    assert "inc-never-seen" in error["message"]


def test_malformed_ids_are_422(client: TestClient) -> None:
    assert_error(client.get("/v1/incidents/x", headers=auth()), 422)
    assert_error(client.get("/v1/incidents/inc-abc/runs/not-a-run", headers=auth()), 422)


def test_status_follows_the_writers(client: TestClient, deps: PipelineDeps) -> None:
    out = _submit(client)
    incident_id, run_id = out["incident_id"], out["run_id"]
    event_pk = f"EVENT#{client.get(out['run_url'], headers=auth()).json()['event_id']}"

    def status() -> dict[str, Any]:
        response = client.get(out["status_url"], headers=auth())
        assert response.status_code == 200, response.text
        return dict(response.json())

    first = status()
    assert first["status"] == "REQUESTED" and first["service"] == "payment-gateway"
    assert first["latest_run"]["run_id"] == run_id and [r["run_id"] for r in first["runs"]] == [run_id]
    deps.requests.transition(event_pk, from_status="REQUESTED", to_status="SCHEDULED", dequeue=False)
    assert status()["status"] == "SCHEDULED"
    deps.incidents.set_run_status(incident_id, run_id, "RUNNING", dagster_run_id="dg-run-1")
    running = status()
    assert running["status"] == "RUNNING"
    assert running["latest_run"]["dagster_url"] == f"{DAGSTER_UI}/runs/dg-run-1"
    run = client.get(out["run_url"], headers=auth()).json()
    assert run["status"] == "RUNNING" and run["dagster_run_id"] == "dg-run-1"
    assert run["request"]["event_id"] == event_pk.removeprefix("EVENT#")
    deps.incidents.set_run_status(incident_id, run_id, "FAILED", reason="collector crashed")
    assert (status()["status"], status()["reason"]) == ("FAILED", "collector crashed")


def test_rejected_request_shows_the_reason(client: TestClient, deps: PipelineDeps) -> None:
    out = _submit(client)
    event_id = client.get(out["run_url"], headers=auth()).json()["event_id"]
    deps.requests.transition(
        f"EVENT#{event_id}", from_status=None, to_status="REJECTED", dequeue=True, reason="body: missing"
    )
    incident = client.get(out["status_url"], headers=auth()).json()
    assert (incident["status"], incident["reason"]) == ("REJECTED", "body: missing")
    assert client.get(out["run_url"], headers=auth()).json()["status"] == "REJECTED"


def test_unknown_run_of_a_known_incident_is_404(client: TestClient) -> None:
    out = _submit(client)
    assert_error(client.get(f"{out['status_url']}/runs/r0000000000ff", headers=auth()), 404)


# --- replays ----------------------------------------------------------------------------------


def test_replay_request_row_and_outcome(client: TestClient, deps: PipelineDeps) -> None:
    out = _submit(client)
    incident_id, run_id = out["incident_id"], out["run_id"]
    response = client.post(f"/v1/incidents/{incident_id}/replay", json={"run_ids": [run_id]}, headers=auth())
    assert response.status_code == 202, response.text
    replay = response.json()
    replay_id = replay["replay_id"]
    assert replay["status_url"] == f"/v1/incidents/{incident_id}/replays/{replay_id}"
    row = deps.requests.get(f"REPLAY#{replay_id}")
    assert row is not None
    assert {k: row.raw[k] for k in ("kind", "status", "queue", "incident_id", "run_ids")} == {
        "kind": "replay",
        "status": "REQUESTED",
        "queue": "replay-pending",
        "incident_id": incident_id,
        "run_ids": [run_id],
    }
    # one replay per incident in flight: a second request names the one still running
    again = assert_error(
        client.post(f"/v1/incidents/{incident_id}/replay", json={"run_ids": [run_id]}, headers=auth()), 409
    )
    assert again["details"] == {"active_replay_id": replay_id}
    assert datetime.fromisoformat(row.created_at) > datetime.now(UTC) - timedelta(minutes=1)

    pending = client.get(replay["status_url"], headers=auth()).json()
    assert pending["status"] == "REQUESTED" and pending["match"] is None and pending["checks"] == []
    assert pending["complete"] is False
    deps.incidents.put_replay_row(incident_id, replay_id, run_id, "packet", {"match": True, "diffs": []})
    half = client.get(replay["status_url"], headers=auth()).json()
    assert half["match"] is True and half["complete"] is False
    deps.incidents.put_replay_row(
        incident_id, replay_id, run_id, "plan", {"match": False, "diffs": ["/actions/0/reason"]}
    )
    done = client.get(replay["status_url"], headers=auth()).json()
    assert done["match"] is False and done["complete"] is True
    assert [(c["run_id"], c["kind"], c["match"], c["diffs"]) for c in done["checks"]] == [
        (run_id, "packet", True, []),
        (run_id, "plan", False, ["/actions/0/reason"]),
    ]


def test_replay_without_body_and_bad_requests(client: TestClient, deps: PipelineDeps) -> None:
    out = _submit(client)
    incident_id = out["incident_id"]
    response = client.post(f"/v1/incidents/{incident_id}/replay", headers=auth())
    assert response.status_code == 202, response.text
    row = deps.requests.get(f"REPLAY#{response.json()['replay_id']}")
    assert row is not None and "run_ids" not in row.raw
    before = len(scan(deps.client("dynamodb"), deps.names.incident_requests_table))
    error = assert_error(
        client.post(
            f"/v1/incidents/{incident_id}/replay", json={"run_ids": ["r0000000000ff"]}, headers=auth()
        ),
        422,
    )
    assert error["message"].startswith("run_ids.0:")
    assert_error(
        client.post(f"/v1/incidents/{incident_id}/replay", json={"run_ids": ["nope"]}, headers=auth()), 422
    )
    assert_error(client.post("/v1/incidents/inc-never-seen/replay", json={}, headers=auth()), 404)
    assert_error(client.post(f"/v1/incidents/{incident_id}/replay", json={}), 401)
    assert len(scan(deps.client("dynamodb"), deps.names.incident_requests_table)) == before
    other = _submit(client)["incident_id"]
    replay_id = response.json()["replay_id"]
    assert_error(client.get(f"/v1/incidents/{other}/replays/{replay_id}", headers=auth()), 404)


# --- health and errors ------------------------------------------------------------------------


def test_health_reports_readiness_and_no_secrets(client: TestClient, names: ResourceNames) -> None:
    response = client.get("/health/ready", headers=auth())
    assert response.status_code == 200, response.text
    health = response.json()
    assert health["live"] is True and health["ready"] is True and health["status"] == "ok"
    assert f"table:{names.incidents_table}" in health["checks"]
    assert f"bucket:{names.evidence_bucket}" in health["checks"]
    assert health["config"]["api_keys"] == {"source": "env", "loaded": True}
    text = response.text
    for secret in (*KEYS, WEBHOOK_SECRET):
        assert secret not in text


def test_health_is_503_when_a_table_is_missing(aws: AwsTarget, names: ResourceNames) -> None:
    settings = settings_for(aws, names, incidents_table="api-no-such-table")
    with TestClient(create_app(settings)) as client:
        response = client.get("/health/ready", headers=auth())
    assert response.status_code == 503
    assert response.json()["checks"]["table:api-no-such-table"]["ok"] is False


def test_unknown_route_and_method_use_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing-here", headers=auth()), 404, "not_found")
    assert_error(client.delete("/v1/incidents", headers=auth()), 405, "method_not_allowed")


def test_unexpected_failure_is_a_generic_500(aws: AwsTarget, names: ResourceNames) -> None:
    # The incidents "table" exists as a name only: DynamoDB answers ResourceNotFoundException,
    # which nothing maps, so it must surface as a 500 that tells the caller nothing internal.
    settings = settings_for(aws, names, incidents_table="api-no-such-table")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.get("/v1/incidents/inc-anything", headers=auth())
    error = assert_error(response, 500, "internal_error")
    assert error["message"] == "internal server error"
    assert "ResourceNotFound" not in response.text and "api-no-such-table" not in response.text
    assert set(error["details"]) == {"error_id"}


# --- the CLI ----------------------------------------------------------------------------------


def test_opsrunbook_api_serves_the_app(aws: AwsTarget, names: ResourceNames) -> None:
    port = free_port()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": str(aws.endpoint_url),
        "AWS_REGION": aws.region,
        "OPSRUNBOOK_TABLE_PREFIX": PREFIX,
        "OPSRUNBOOK_EVIDENCE_BUCKET": names.evidence_bucket,
        "OPSRUNBOOK_API_KEYS": "cli-key",
        "OPSRUNBOOK_READINESS_ORCHESTRATOR": "false",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("opsrunbook")),
            "api",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = requests.get(f"{base}/health", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
                assert time.monotonic() < deadline, "opsrunbook api did not start"
                time.sleep(0.2)
        assert health.status_code == 200 and health.json()["ready"] is True
        ready = requests.get(f"{base}/health/ready", headers=auth("cli-key"), timeout=10)
        assert ready.json()["config"]["tables"]["incidents"] == names.incidents_table
        response = requests.post(
            f"{base}/v1/incidents", json=event_body(), headers=auth("cli-key"), timeout=10
        )
        assert response.status_code == 202, response.text
    finally:
        process.terminate()
        process.wait(timeout=15)
